package stats

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// firstUseKey marks a use of an event's id (a signature, an idempotency
// key) by tenant, hashed: the id itself is the client's and may be long.
func firstUseKey(tenant, kind, id string) string {
	sum := sha256.Sum256([]byte(id))
	return keyPrefix + eventsTag(tenant) + ":" + kind + ":" + hex.EncodeToString(sum[:16])
}

// FirstUse records a use of id (of a kind: "sig", "idem") by tenant for
// ttl, atomically across gateway instances, and reports whether it was the
// first within ttl: a replayed signature, or a retried event, is not.
func (q *Querier) FirstUse(ctx context.Context, tenant, kind, id string, ttl time.Duration) (bool, error) {
	first, err := q.rdb.SetNX(ctx, firstUseKey(tenant, kind, id), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("stats: %w: %w", ErrUnavailable, err)
	}
	return first, nil
}

// CampaignSeen reports whether tenant's campaign has ever had an event
// counted (its links may all be gone since).
func (q *Querier) CampaignSeen(ctx context.Context, tenant, campaign string) (bool, error) {
	n, err := q.rdb.Exists(ctx, totalKey(campaignTag(tenant, campaign))).Result()
	if err != nil {
		return false, fmt.Errorf("stats: %w: %w", ErrUnavailable, err)
	}
	return n > 0, nil
}

// ForgetUse undoes FirstUse, for an event that was marked but could not
// be recorded: its retry must count.
func (q *Querier) ForgetUse(ctx context.Context, tenant, kind, id string) error {
	if err := q.rdb.Del(ctx, firstUseKey(tenant, kind, id)).Err(); err != nil {
		return fmt.Errorf("stats: %w: %w", ErrUnavailable, err)
	}
	return nil
}
