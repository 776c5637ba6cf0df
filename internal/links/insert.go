package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/redis/go-redis/v9"
)

// insertGenerated inserts l under a new random code, trying another when
// one is taken (by any record: a generated code never reclaims one).
func (s *Store) insertGenerated(ctx context.Context, l *Link, a Actor) error {
	for attempt := 0; ; attempt++ {
		code, err := newCode()
		if err != nil {
			return fmt.Errorf("generate code: %w", err)
		}
		l.Code = code
		err = s.insert(ctx, l, a, false)
		if errors.Is(err, ErrExists) && attempt < 5 {
			continue
		}
		return err
	}
}

// insert claims the code (claimLua), then indexes the link. The two keys
// live in different Cluster slots, so they cannot share a transaction:
// when indexing fails the claim is undone, leaving nothing half-written.
// With reclaim, the tenant's own purged code is created again; without
// (a generated code), any record of the code is a collision.
func (s *Store) insert(ctx context.Context, l *Link, a Actor, reclaim bool) error {
	data, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode link: %w", err)
	}
	key := Canonical(l.Code)
	cmd, entry, err := claim(ctx, s.rdb, l, data, a, l.CreatedAt)
	if err != nil {
		return fmt.Errorf("encode version: %w", err)
	}
	claimed, err := cmd.Int()
	if err != nil {
		return fmt.Errorf("store link %s: %w: %w", key, ErrUnavailable, err)
	}
	var before []byte
	switch {
	case claimed == claimStored:
	case !reclaim:
		return ErrExists // a generated code never lands on a reserved one
	case claimed == claimInTrash:
		return ErrInTrash
	case claimed == claimPurged:
		if data, before, entry, err = s.reclaim(ctx, l, a); err != nil {
			return err
		}
	default:
		return ErrExists
	}
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		addToIndexes(ctx, p, l)
		return nil
	}); err != nil {
		s.rdb.Pipelined(context.WithoutCancel(ctx), func(p redis.Pipeliner) error {
			unclaim(ctx, p, l.Code, data, before, entry)
			return nil
		})
		return fmt.Errorf("index link %s: %w: %w", key, ErrUnavailable, err)
	}
	s.invalidate(ctx, key)
	return nil
}

// indexMember orders a tenant's links newest first under lexicographic
// order, with the code breaking ties, so cursors are exact.
func indexMember(l *Link) string {
	return fmt.Sprintf("%016x:%s", uint64(math.MaxInt64-l.CreatedAt.UnixNano()), Canonical(l.Code))
}

func addToIndexes(ctx context.Context, p redis.Pipeliner, l *Link) {
	m := redis.Z{Score: 0, Member: indexMember(l)}
	p.ZAdd(ctx, tenantLinksKey(l.Tenant), m)
	if l.Campaign != "" {
		p.ZAdd(ctx, campaignLinksKey(l.Tenant, l.Campaign), m)
	}
	for _, t := range l.Tags {
		p.ZAdd(ctx, tagLinksKey(l.Tenant, t), m)
	}
}

func removeFromIndexes(ctx context.Context, p redis.Pipeliner, l *Link, keep *Link) {
	m := indexMember(l)
	if keep == nil {
		p.ZRem(ctx, tenantLinksKey(l.Tenant), m)
	}
	if l.Campaign != "" && (keep == nil || keep.Campaign != l.Campaign) {
		p.ZRem(ctx, campaignLinksKey(l.Tenant, l.Campaign), m)
	}
	for _, t := range l.Tags {
		if keep == nil || !contains(keep.Tags, t) {
			p.ZRem(ctx, tagLinksKey(l.Tenant, t), m)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
