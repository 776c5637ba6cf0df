package links

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Links written before search and quotas existed have none of their index
// entries (by last change, by code, by title token), their campaigns and
// tags are not in the registries that count them, and their scans are not
// in the tenant's rank. The first search, sort, count or checked write of
// a tenant adds them, once per tenant (searchReadyKey marks it done on
// every instance); every write since adds its own (indexesOf), and the
// stats writer ranks every scan.

// searchReady remembers the tenants known to be indexed.
type searchReady struct {
	mu    sync.Mutex
	ready map[string]bool
	group singleflight.Group
}

func (r *searchReady) is(tenant string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready[tenant]
}

func (r *searchReady) set(tenant string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ready == nil {
		r.ready = map[string]bool{}
	}
	r.ready[tenant] = true
}

// ensureIndexes indexes tenant's older links for search, unless done.
func (s *Store) ensureIndexes(ctx context.Context, tenant string) error {
	if s.search.is(tenant) {
		return nil
	}
	_, err, _ := s.search.group.Do(tenant, func() (any, error) {
		n, err := s.rdb.Exists(ctx, searchReadyKey(tenant)).Result()
		if err != nil {
			return nil, fmt.Errorf("search index: %w: %w", ErrUnavailable, err)
		}
		if n == 0 {
			if err := s.backfillSearch(ctx, tenant); err != nil {
				return nil, err
			}
			if err := s.rdb.Set(ctx, searchReadyKey(tenant), 1, 0).Err(); err != nil {
				return nil, fmt.Errorf("search index: %w: %w", ErrUnavailable, err)
			}
		}
		s.search.set(tenant)
		return nil, nil
	})
	return err
}

// backfillSearch adds every index entry of tenant's live links (ZADD: the
// ones there already stay as they are) and their scans to the rank. A link
// a concurrent write changes may get an entry of its old state, which
// readers skip, as they skip any stale entry.
func (s *Store) backfillSearch(ctx context.Context, tenant string) error {
	from := "-"
	for {
		members, err := s.rdb.ZRangeByLex(ctx, tenantLinksKey(tenant), &redis.ZRangeBy{Min: from, Max: "+", Count: readBatch}).Result()
		if err != nil {
			return fmt.Errorf("search index: %w: %w", ErrUnavailable, err)
		}
		if len(members) == 0 {
			return nil
		}
		ls, err := s.readMany(ctx, members)
		if err != nil {
			return err
		}
		var codes []string
		if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, l := range ls {
				if l != nil && l.Tenant == tenant && l.DeletedAt == nil {
					queueIndexes(ctx, p, l)
					codes = append(codes, Canonical(l.Code))
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("search index: %w: %w", ErrUnavailable, err)
		}
		if s.ranker != nil {
			if err := s.ranker.BackfillRank(ctx, tenant, codes); err != nil {
				return err
			}
		}
		from = "(" + members[len(members)-1]
	}
}

// ForgetSearchIndex forgets that tenant's links are indexed, so that the
// next search checks the mark in Redis again (tests of an upgrade).
func (s *Store) ForgetSearchIndex(tenant string) {
	s.search.mu.Lock()
	defer s.search.mu.Unlock()
	delete(s.search.ready, tenant)
}
