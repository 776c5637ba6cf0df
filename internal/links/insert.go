package links

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"
)

// prepare checks the input of a new link of tenant at now, and builds
// the link; insertAll gives it a code when the input has none.
func prepare(tenant string, in Input, now time.Time) (*Link, error) {
	if err := in.normalize(); err != nil {
		return nil, err
	}
	if err := checkNewCode(in.Code); err != nil {
		return nil, err
	}
	if err := checkCreateTimes(&in, now); err != nil {
		return nil, err
	}
	return newLink(tenant, in, now), nil
}

// generateTries is how often a generated code is drawn again after landing
// on a taken one.
const generateTries = 5

// insertAll stores new links (from prepare), each wholly or not at all,
// and returns why each was not (nil: stored). It is the one path of every
// new code, one link or a bulk chunk: a claim script per code (claimLua:
// the record and its first version, if the code is free), then the
// tenant's indexes in one MULTI. The two live in different Cluster slots,
// so they cannot share a transaction: when indexing fails the claims are
// undone, leaving nothing half-written.
//
// A link without a code gets a random one, drawn again when it lands on
// any record (a generated code never reclaims one). A given code that is
// the tenant's purged one is created again (reclaim): a new life of the
// code whose versions and stats go on.
func (s *Store) insertAll(ctx context.Context, ls []*Link, a Actor) []error {
	errs := make([]error, len(ls))
	gen := make([]bool, len(ls))
	todo := make([]int, len(ls))
	for i, l := range ls {
		gen[i], todo[i] = l.Code == "", i
	}
	for try := 0; len(todo) > 0; try++ {
		for _, i := range todo {
			if !gen[i] {
				continue
			}
			code, err := newCode()
			if err != nil {
				errs[i] = fmt.Errorf("generate code: %w", err)
				continue
			}
			ls[i].Code = code
		}
		again := s.claimAll(ctx, ls, todo, gen, a, errs)
		if try+1 == generateTries {
			for _, i := range again {
				errs[i] = ErrExists
			}
			break
		}
		todo = again
	}
	return errs
}

// claimed is a link whose code insertAll claimed: what it wrote, and the
// record it replaced (the tenant's purged code), to undo it.
type claimed struct {
	i                   int
	data, before, entry []byte
}

// claimAll is one round of insertAll over ls[todo] (those without an
// error yet). It returns the generated codes that landed on taken ones.
func (s *Store) claimAll(ctx context.Context, ls []*Link, todo []int, gen []bool, a Actor, errs []error) (again []int) {
	type claim struct {
		i           int
		data, entry []byte
		cmd         *redis.Cmd
	}
	var cs []claim
	for _, i := range todo {
		if errs[i] != nil {
			continue
		}
		data, err := json.Marshal(ls[i])
		if err != nil {
			errs[i] = fmt.Errorf("encode link: %w", err)
			continue
		}
		cs = append(cs, claim{i: i, data: data})
	}
	if len(cs) == 0 {
		return nil
	}
	var encErr error
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k := range cs {
			l := ls[cs[k].i]
			if cs[k].cmd, cs[k].entry, encErr = claimCode(ctx, p, l, cs[k].data, a, l.CreatedAt); encErr != nil {
				return encErr
			}
		}
		return nil
	})
	if encErr != nil || err != nil {
		// Some claims may have landed before the failure: undo them all.
		s.rdb.Pipelined(context.WithoutCancel(ctx), func(p redis.Pipeliner) error {
			for _, c := range cs {
				if c.cmd == nil {
					continue
				}
				if n, err := c.cmd.Int(); err == nil && n == claimStored {
					unclaim(ctx, p, ls[c.i].Code, c.data, nil, c.entry)
				}
			}
			return nil
		})
		for _, c := range cs {
			if encErr != nil {
				errs[c.i] = fmt.Errorf("encode version: %w", encErr)
			} else {
				errs[c.i] = fmt.Errorf("store link %s: %w: %w", Canonical(ls[c.i].Code), ErrUnavailable, err)
			}
		}
		return nil
	}
	var won []claimed
	for _, c := range cs {
		switch n, _ := c.cmd.Int(); {
		case n == claimStored:
			won = append(won, claimed{i: c.i, data: c.data, entry: c.entry})
		case gen[c.i]:
			again = append(again, c.i) // a generated code landed on a taken one
		case n == claimInTrash:
			errs[c.i] = ErrInTrash
		case n == claimPurged:
			data, before, entry, err := s.reclaim(ctx, ls[c.i], a)
			if err != nil {
				errs[c.i] = err
				continue
			}
			won = append(won, claimed{i: c.i, data: data, before: before, entry: entry})
		default:
			errs[c.i] = ErrExists
		}
	}
	if len(won) == 0 {
		return again
	}
	if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, w := range won {
			queueIndexes(ctx, p, ls[w.i])
		}
		return nil
	}); err != nil {
		s.rdb.Pipelined(context.WithoutCancel(ctx), func(p redis.Pipeliner) error {
			for _, w := range won {
				unclaim(ctx, p, ls[w.i].Code, w.data, w.before, w.entry)
			}
			return nil
		})
		for _, w := range won {
			errs[w.i] = fmt.Errorf("index link %s: %w: %w", Canonical(ls[w.i].Code), ErrUnavailable, err)
		}
		return again
	}
	keys := make([]string, len(won))
	for k, w := range won {
		keys[k] = Canonical(ls[w.i].Code)
	}
	s.invalidate(ctx, keys...)
	return again
}

// indexMember orders a tenant's links newest first under lexicographic
// order, with the code breaking ties, so cursors are exact.
func indexMember(l *Link) string {
	return fmt.Sprintf("%016x:%s", uint64(math.MaxInt64-l.CreatedAt.UnixNano()), Canonical(l.Code))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
