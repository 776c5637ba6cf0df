package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The two write paths of the store. A new code takes insertAll (insert.go):
// a claim script per code, then its indexes. A write to an existing record
// takes apply: every change, revert, move to or from the trash, purge,
// import and amendment of launch links reads the record under WATCH,
// checks it, and writes the next one with its version in one transaction.

const maxTxRetries = 5

// write is one change of a stored record, made by apply.
type write struct {
	// action is the version's action; "" for what the gateway keeps on a
	// link besides the merchant's fields (launch links, statuses), which
	// is not a version (its history and version number stay) and changes
	// nothing the indexes hold.
	action string
	actor  Actor
	// missing lets step run with cur nil when the code has no record
	// (import); otherwise the write is ErrNotFound.
	missing bool
	// step gives the next record from the current one at now, or nil when
	// the write changes nothing. It must not change cur (shared with the
	// cache): it copies. The next record's version is cur's plus one.
	step func(cur *Link, now time.Time) (*Link, error)
	// also queues more commands of the record's slot in its transaction.
	also func(p redis.Pipeliner, key string, next *Link)
}

// apply makes w on the record of key. It returns the record after it (the
// current one when the write changed nothing) and whether it wrote.
//
// The index entries the next record needs go in before the record changes
// and the ones only the old one had come out after, so a failure between
// leaves an extra entry, which every reader checks against the record,
// never a missing one.
func (s *Store) apply(ctx context.Context, key string, w write) (next *Link, wrote bool, err error) {
	if w.action != "" {
		if err := w.actor.check(); err != nil {
			return nil, false, err
		}
	}
	var old *Link
	txf := func(tx *redis.Tx) error {
		old, next, wrote = nil, nil, false
		cur, err := s.readTx(ctx, tx, key)
		switch {
		case errors.Is(err, ErrNotFound) && w.missing:
			cur = nil
		case err != nil:
			return err
		}
		now := s.now().UTC()
		n, err := w.step(cur, now)
		if err != nil {
			return err
		}
		if n == nil {
			next = cur
			return nil
		}
		if cur != nil && w.action != "" {
			n.Version = cur.Version + 1
		}
		data, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("encode link: %w", err)
		}
		var entry []byte
		if w.action != "" {
			if entry, err = entryOf(n, data, w.action, w.actor, now); err != nil {
				return fmt.Errorf("encode version: %w", err)
			}
		}
		if w.action != "" {
			if err := s.addCheckedIndexes(ctx, n); err != nil {
				return err
			}
		}
		if _, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, linkKey(key), data, 0)
			if entry != nil {
				pushEntry(ctx, p, key, entry)
			}
			if w.also != nil {
				w.also(p, key, n)
			}
			return nil
		}); err != nil {
			return err
		}
		old, next, wrote = cur, n, true
		return nil
	}
	if err := s.watch(ctx, txf, linkKey(key)); err != nil {
		return nil, false, err
	}
	if !wrote {
		return next, false, nil
	}
	if w.action == "" {
		s.invalidate(ctx, key)
		return next, true, nil
	}
	// Stale entries out, whatever the request's context does now. A
	// concurrent write may have just removed an entry the stored record
	// needs (A moves the link from c1 to c2 while B moves it back): the
	// stored record's entries go in again, which ZADD makes idempotent.
	bg := context.WithoutCancel(ctx)
	if old != nil {
		s.removeIndexes(bg, old, next)
	}
	if cur, err := s.read(bg, key); err == nil {
		s.addIndexes(bg, cur)
	}
	s.invalidate(ctx, key)
	return next, true, nil
}

func (s *Store) watch(ctx context.Context, fn func(*redis.Tx) error, key string) error {
	for i := 0; i < maxTxRetries; i++ {
		err := s.rdb.Watch(ctx, fn, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return err
	}
	return ErrConflict
}

func (s *Store) readTx(ctx context.Context, tx *redis.Tx, key string) (*Link, error) {
	return decodeLink(key, tx.Get(ctx, linkKey(key)))
}

// indexEntry is one sorted-set entry a record's state needs.
type indexEntry struct {
	key    string
	member string
	score  float64
	// reg is the registry the entry's list counts in ("c" campaigns, "t"
	// tags: quota.go), name its name there.
	reg, name string
}

// indexesOf lists the index entries l needs: a live link is in its
// tenant's lists (by creation, by last change, by code), its campaign's,
// its tags' and its title tokens' (search.go), all in the tenant's slot; a
// link in the trash is in its tenant's trash and in the sweep's due set
// (due, a slot of its own); a purged one in none.
func indexesOf(l *Link) (tenant []indexEntry, due *indexEntry) {
	switch {
	case l.DeletedAt == nil:
		m := indexMember(l)
		tenant = append(tenant, indexEntry{key: tenantLinksKey(l.Tenant), member: m})
		if l.Campaign != "" {
			tenant = append(tenant, indexEntry{key: campaignLinksKey(l.Tenant, l.Campaign), member: m, reg: "c", name: l.Campaign})
		}
		for _, t := range l.Tags {
			tenant = append(tenant, indexEntry{key: tagLinksKey(l.Tenant, t), member: m, reg: "t", name: t})
		}
		tenant = append(tenant, indexEntry{key: tenantUpdatedKey(l.Tenant), member: updatedMember(l)},
			indexEntry{key: tenantCodesKey(l.Tenant), member: Canonical(l.Code)})
		for _, t := range titleTokens(l.Title) {
			tenant = append(tenant, indexEntry{key: searchKey(l.Tenant, t), member: m})
		}
	case !l.gone():
		key := Canonical(l.Code)
		at := float64(l.PurgeAt.UnixMilli())
		tenant = append(tenant, indexEntry{key: tenantTrashKey(l.Tenant), member: key, score: at})
		due = &indexEntry{key: trashDueKey, member: trashMember(l.Tenant, key), score: at}
	}
	return tenant, due
}

// queueIndexes queues the tenant-slot entries of l on p.
func queueIndexes(ctx context.Context, p redis.Pipeliner, l *Link) {
	entries, _ := indexesOf(l)
	for _, e := range entries {
		p.ZAdd(ctx, e.key, redis.Z{Score: e.score, Member: e.member})
		switch e.reg {
		case "c":
			p.SAdd(ctx, campaignsKey(l.Tenant), e.name)
		case "t":
			p.SAdd(ctx, tagsKey(l.Tenant), e.name)
		}
	}
}

// addIndexes adds every index entry l needs.
func (s *Store) addIndexes(ctx context.Context, l *Link) error {
	entries, due := indexesOf(l)
	if len(entries) > 0 {
		if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			queueIndexes(ctx, p, l)
			return nil
		}); err != nil {
			return err
		}
	}
	if due != nil {
		return s.rdb.ZAdd(ctx, due.key, redis.Z{Score: due.score, Member: due.member}).Err()
	}
	return nil
}

// addCheckedIndexes adds every index entry l needs, within its tenant's
// limits.
func (s *Store) addCheckedIndexes(ctx context.Context, l *Link) error {
	errs, err := s.indexChecked(ctx, l.Tenant, []*Link{l})
	if err != nil {
		return fmt.Errorf("index link %s: %w: %w", Canonical(l.Code), ErrUnavailable, err)
	}
	if errs[0] != nil {
		return errs[0]
	}
	if _, due := indexesOf(l); due != nil {
		if err := s.rdb.ZAdd(ctx, due.key, redis.Z{Score: due.score, Member: due.member}).Err(); err != nil {
			return fmt.Errorf("index link %s: %w: %w", Canonical(l.Code), ErrUnavailable, err)
		}
	}
	return nil
}

// removeIndexes removes the entries old needed that next does not.
// Failures leave extra entries, which readers filter out.
func (s *Store) removeIndexes(ctx context.Context, old, next *Link) {
	oldEntries, oldDue := indexesOf(old)
	keep := map[indexEntry]bool{}
	nextEntries, nextDue := indexesOf(next)
	for _, e := range nextEntries {
		keep[indexEntry{key: e.key, member: e.member}] = true
	}
	var drop []indexEntry
	for _, e := range oldEntries {
		if !keep[indexEntry{key: e.key, member: e.member}] {
			drop = append(drop, e)
		}
	}
	s.dropEntries(ctx, old.Tenant, drop)
	if oldDue != nil && (nextDue == nil || nextDue.member != oldDue.member) {
		s.rdb.ZRem(ctx, oldDue.key, oldDue.member)
	}
}
