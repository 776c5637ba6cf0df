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
// new code, one link or a bulk chunk: the tenant's index entries in one
// MULTI, then a claim script per code (claimLua: the record and its first
// version, if the code is free). The two live in different Cluster slots,
// so they cannot share a transaction; indexing first means a failure
// between them leaves extra index entries, which readers skip (readMany),
// never a live link missing from its lists. Entries of links that were
// not stored are removed.
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
	batch := make([]*Link, len(cs))
	for k, c := range cs {
		batch[k] = ls[c.i]
	}
	refused, err := s.indexChecked(ctx, batch[0].Tenant, batch)
	if err != nil {
		for _, c := range cs {
			errs[c.i] = fmt.Errorf("index link %s: %w: %w", Canonical(ls[c.i].Code), ErrUnavailable, err)
		}
		return nil
	}
	kept := cs[:0]
	for k, c := range cs {
		if refused[k] != nil {
			errs[c.i] = refused[k]
			continue
		}
		kept = append(kept, c)
	}
	if cs = kept; len(cs) == 0 {
		return nil
	}
	// The entries of links that were not stored go at the end, but for
	// those a record of the tenant needs: a stored row's (a code twice in
	// one bulk request), or the one holding the code (a 409: the code list
	// is by code, so the two share an entry). Holders are read first and
	// nothing is added back, so a holder's own write in between is never
	// undone; if they cannot be read, nothing is dropped (readers skip
	// extra entries; a missing one would hide a link).
	var lost []*Link
	var won []int
	defer func() {
		if len(lost) == 0 {
			return
		}
		bg := context.WithoutCancel(ctx)
		codes := make([]string, len(lost))
		for i, l := range lost {
			codes[i] = Canonical(l.Code)
		}
		holders, err := s.readKeys(bg, codes)
		if err != nil {
			return
		}
		keep := map[indexEntry]bool{}
		needs := func(l *Link) {
			entries, _ := indexesOf(l)
			for _, e := range entries {
				keep[indexEntry{key: e.key, member: e.member}] = true
			}
		}
		for _, i := range won {
			needs(ls[i])
		}
		for _, h := range holders {
			if h != nil && h.Tenant == lost[0].Tenant {
				needs(h)
			}
		}
		var drop []indexEntry
		for _, l := range lost {
			entries, _ := indexesOf(l)
			for _, e := range entries {
				if !keep[indexEntry{key: e.key, member: e.member}] {
					drop = append(drop, e)
				}
			}
		}
		s.dropEntries(bg, lost[0].Tenant, drop)
		// A holder written meanwhile (restored from the trash, say) may
		// have needed what was just dropped: it gets its entries again,
		// as a write's last step does (apply).
		if now, err := s.readKeys(bg, codes); err == nil {
			for i, h := range now {
				if was := holders[i]; h != nil && h.Tenant == lost[0].Tenant && (was == nil || was.Version != h.Version ||
					(was.DeletedAt == nil) != (h.DeletedAt == nil)) {
					s.addIndexes(bg, h)
				}
			}
		}
	}()

	var encErr error
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
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
					unclaim(ctx, p, ls[c.i].Code, c.data, c.entry)
				}
			}
			return nil
		})
		for _, c := range cs {
			lost = append(lost, ls[c.i])
			if encErr != nil {
				errs[c.i] = fmt.Errorf("encode version: %w", encErr)
			} else {
				errs[c.i] = fmt.Errorf("store link %s: %w: %w", Canonical(ls[c.i].Code), ErrUnavailable, err)
			}
		}
		return nil
	}
	var stored []string
	for _, c := range cs {
		retry := false
		switch n, _ := c.cmd.Int(); {
		case n == claimStored:
		case gen[c.i]:
			retry = true // a generated code landed on a taken one
			again = append(again, c.i)
		case n == claimPurged:
			errs[c.i] = s.reclaim(ctx, ls[c.i], a)
		case n == claimInTrash:
			errs[c.i] = ErrInTrash
		default:
			errs[c.i] = ErrExists
		}
		if errs[c.i] == nil && !retry {
			won = append(won, c.i)
			stored = append(stored, Canonical(ls[c.i].Code))
			continue
		}
		// Its entries go: a copy, since a generated code draws again.
		cp := *ls[c.i]
		lost = append(lost, &cp)
	}
	if len(stored) > 0 {
		s.invalidate(ctx, stored...)
	}
	return again
}

// indexMember orders a tenant's links newest first under lexicographic
// order, with the code breaking ties, so cursors are exact.
func indexMember(l *Link) string {
	return fmt.Sprintf("%016x:%s", uint64(math.MaxInt64-l.CreatedAt.UnixNano()), Canonical(l.Code))
}

// updatedMember is l's member in its tenant's list by last change.
func updatedMember(l *Link) string {
	return fmt.Sprintf("%016x:%s", uint64(math.MaxInt64-l.UpdatedAt.UnixNano()), Canonical(l.Code))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
