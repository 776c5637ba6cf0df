package links

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
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
// MaxBulkRows), a few at a time; a link deleted meanwhile is skipped, one
// that fails is reported and the others go on; when the store answered
// none of them, that is the error.
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
	// A few links at a time: each is its own transaction.
	changed := make([]bool, len(ls))
	errs := make([]error, len(ls))
	next := make(chan int)
	var wg sync.WaitGroup
	for range campaignWorkers {
		wg.Go(func() {
			for i := range next {
				changed[i], errs[i] = do(ls[i])
			}
		})
	}
	for i := range ls {
		next <- i
	}
	close(next)
	wg.Wait()
	res := CampaignResult{Links: len(ls), Failed: []RowError{}}
	var unavailable error
	for i, err := range errs {
		switch {
		case err == nil:
			if changed[i] {
				res.Changed++
			}
		case errors.Is(err, ErrNotFound):
			res.Links--
		case errors.Is(err, ErrUnavailable):
			unavailable = err
			res.Failed = append(res.Failed, RowError{Row: i + 1, Err: err})
		default:
			res.Failed = append(res.Failed, RowError{Row: i + 1, Err: err})
		}
	}
	if unavailable != nil && res.Changed == 0 {
		return res, unavailable
	}
	return res, nil
}

// campaignWorkers bounds how many links of one campaign action are
// written at once.
const campaignWorkers = 8

// CampaignCodes returns the codes of tenant's live links in a campaign, for
// batch export. At most max codes are returned; more is ErrInvalid.
func (s *Store) CampaignCodes(ctx context.Context, tenant, campaign string, max int) ([]*Link, error) {
	members, err := s.rdb.ZRangeByLex(ctx, campaignLinksKey(tenant, campaign), &redis.ZRangeBy{Min: "-", Max: "+", Count: int64(max) + 1}).Result()
	if err != nil {
		return nil, fmt.Errorf("list campaign: %w: %w", ErrUnavailable, err)
	}
	var out []*Link
	for start := 0; start < len(members); start += readBatch {
		end := min(start+readBatch, len(members))
		links, err := s.readMany(ctx, members[start:end])
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			if l != nil && l.Tenant == tenant && l.DeletedAt == nil && l.Campaign == campaign {
				out = append(out, l)
			}
		}
	}
	if len(out) > max {
		return nil, invalid("campaign", "has more than %d links", max)
	}
	return out, nil
}

// CampaignKnown reports whether tenant has a live link in campaign (names
// are case-sensitive), for refusing a misspelt one rather than answering
// zeros.
func (s *Store) CampaignKnown(ctx context.Context, tenant, campaign string) (bool, error) {
	n, err := s.rdb.ZCard(ctx, campaignLinksKey(tenant, campaign)).Result()
	if err != nil {
		return false, fmt.Errorf("campaign: %w: %w", ErrUnavailable, err)
	}
	return n > 0, nil
}
