package links

import (
	"context"
	"errors"
)

// Campaign actions change every live link of a campaign, each a version
// of its own.

// CampaignResult is what a campaign action did.
type CampaignResult struct {
	Links   int        // live links of the campaign
	Changed int        // links the action changed (others were so already)
	Failed  []RowError // Row: the link's place in the campaign, from 1
}

// SetCampaignStatus pauses or resumes every live link of tenant's
// campaign.
func (s *Store) SetCampaignStatus(ctx context.Context, tenant, campaign string, status Status, a Actor) (CampaignResult, error) {
	if status != StatusActive && status != StatusPaused {
		return CampaignResult{}, invalid("status", "must be active or paused")
	}
	return s.eachOfCampaign(ctx, tenant, campaign, a, func(l *Link) (bool, error) {
		if l.Status == status {
			return false, nil
		}
		_, err := s.Update(ctx, tenant, l.Code, Change{Actor: a, Edit: func(in *Input) error {
			in.Status = status
			return nil
		}})
		return err == nil, err
	})
}

// DeleteCampaign moves every live link of tenant's campaign to the trash.
func (s *Store) DeleteCampaign(ctx context.Context, tenant, campaign string, a Actor) (CampaignResult, error) {
	return s.eachOfCampaign(ctx, tenant, campaign, a, func(l *Link) (bool, error) {
		err := s.Delete(ctx, tenant, l.Code, a)
		return err == nil, err
	})
}

// eachOfCampaign applies do to each live link of the campaign (at most
// MaxBulkRows); a link deleted meanwhile is skipped, one that fails is
// reported and the others go on; the store going away stops it.
func (s *Store) eachOfCampaign(ctx context.Context, tenant, campaign string, a Actor, do func(*Link) (bool, error)) (CampaignResult, error) {
	if err := a.check(); err != nil {
		return CampaignResult{}, err
	}
	if campaign == "" || checkLabel("campaign", campaign, MaxCampaignRunes) != nil {
		return CampaignResult{}, ErrNotFound
	}
	ls, err := s.CampaignCodes(ctx, tenant, campaign, MaxBulkRows)
	if err != nil {
		return CampaignResult{}, err
	}
	if len(ls) == 0 {
		return CampaignResult{}, ErrNotFound
	}
	res := CampaignResult{Links: len(ls), Failed: []RowError{}}
	for i, l := range ls {
		changed, err := do(l)
		switch {
		case err == nil:
			if changed {
				res.Changed++
			}
		case errors.Is(err, ErrNotFound):
			res.Links--
		case errors.Is(err, ErrUnavailable):
			return res, err
		default:
			res.Failed = append(res.Failed, RowError{Row: i + 1, Err: err})
		}
	}
	return res, nil
}
