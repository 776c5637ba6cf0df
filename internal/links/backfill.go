package links

import (
	"context"
	"fmt"
	"sync"
	"time"

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

// backfillTimeout bounds one backfill; it runs apart from the request that
// started it, so that a client going away does not throw the work away.
const backfillTimeout = 5 * time.Minute

// ensureIndexes indexes tenant's older links for search and quotas, unless
// done.
func (s *Store) ensureIndexes(ctx context.Context, tenant string) error {
	if s.search.is(tenant) {
		return nil
	}
	ch := s.search.group.DoChan(tenant, func() (_ any, err error) {
		// It runs on a goroutine of its own, out of reach of the server's
		// recovery: a panic is an error of this call, not a crash.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("search index of %s: panic: %v", tenant, r)
			}
		}()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), backfillTimeout)
		defer cancel()
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
	select {
	case r := <-ch:
		return r.Err
	case <-ctx.Done():
		return fmt.Errorf("search index: %w: %w", ErrUnavailable, ctx.Err())
	}
}

// backfillSearch adds every index entry of tenant's live links (ZADD: the
// ones there already stay as they are) and the scans of its live and
// trashed links to the rank. It follows the write protocol (apply): after
// adding a batch's entries it reads the batch again, and a link a write
// changed meanwhile loses the entries of the state read first and gets
// those of its state now, so that no count is left with an entry the link
// no longer needs.
func (s *Store) backfillSearch(ctx context.Context, tenant string) error {
	from := "-"
	for {
		members, err := s.rdb.ZRangeByLex(ctx, tenantLinksKey(tenant), &redis.ZRangeBy{Min: from, Max: "+", Count: readBatch}).Result()
		if err != nil {
			return fmt.Errorf("search index: %w: %w", ErrUnavailable, err)
		}
		if len(members) == 0 {
			break
		}
		ls, err := s.readMany(ctx, members)
		if err != nil {
			return err
		}
		if s.backfillRead != nil {
			s.backfillRead()
		}
		var live []*Link
		var codes []string
		for _, l := range ls {
			if l != nil && l.Tenant == tenant && l.DeletedAt == nil {
				live = append(live, l)
				codes = append(codes, Canonical(l.Code))
			}
		}
		if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			for _, l := range live {
				queueIndexes(ctx, p, l)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("search index: %w: %w", ErrUnavailable, err)
		}
		now, err := s.readKeys(ctx, codes)
		if err != nil {
			return err
		}
		for i, cur := range now {
			was := live[i]
			switch {
			case cur == nil:
				entries, _ := indexesOf(was)
				s.dropEntries(ctx, tenant, entries)
			case cur.Version != was.Version || (cur.DeletedAt == nil) != (was.DeletedAt == nil) || cur.Tenant != was.Tenant:
				s.removeIndexes(ctx, was, cur)
				s.addIndexes(ctx, cur)
			}
		}
		if s.ranker != nil {
			if err := s.ranker.BackfillRank(ctx, tenant, codes); err != nil {
				return err
			}
		}
		from = "(" + members[len(members)-1]
	}
	if s.ranker == nil {
		return nil
	}
	trashed, err := s.rdb.ZRange(ctx, tenantTrashKey(tenant), 0, -1).Result()
	if err != nil {
		return fmt.Errorf("search index: %w: %w", ErrUnavailable, err)
	}
	for start := 0; start < len(trashed); start += readBatch {
		if err := s.ranker.BackfillRank(ctx, tenant, trashed[start:min(start+readBatch, len(trashed))]); err != nil {
			return err
		}
	}
	return nil
}

// ForgetSearchIndex forgets that tenant's links are indexed, so that the
// next search checks the mark in Redis again (tests of an upgrade).
func (s *Store) ForgetSearchIndex(tenant string) {
	s.search.mu.Lock()
	defer s.search.mu.Unlock()
	delete(s.search.ready, tenant)
}
