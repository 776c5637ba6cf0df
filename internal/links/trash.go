package links

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The trash: a deleted link stays restorable for Options.TrashFor, then
// it is purged. A purged code stays its tenant's: another tenant's create
// is refused (its stats keys outlive the link), its own may create it
// again and its stats go on.

// ActionPurge: a version that ends a link for good.
const ActionPurge = "purge"

// ErrInTrash: the tenant's code is in its trash; restore or purge it
// before creating it again.
var ErrInTrash = fmt.Errorf("%w: it is in your trash; restore it, or purge it to create it again", ErrExists)

func tenantTrashKey(tenant string) string { return "sg:{t:" + tenant + "}:trash" }

// trashDueKey orders every tenant's trashed links by purge time, for the
// purging sweep: members are tenant NUL code.
const trashDueKey = "sg:trash:due"

func trashMember(tenant, code string) string { return tenant + "\x00" + code }

// zremDueLua removes a member of the due set (ARGV[1]) while its score is
// still at most ARGV[2].
var zremDueLua = redis.NewScript(`
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if due and tonumber(due) <= tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0
`)

// Delete moves tenant's link to the trash for Options.TrashFor: its scans
// get the fallback or a 410 page, Restore brings it back as it was.
func (s *Store) Delete(ctx context.Context, tenant, code string, a Actor) error {
	_, err := s.lifecycle(ctx, tenant, code, a, ActionDelete, func(cur *Link, now time.Time) (*Link, error) {
		if cur.DeletedAt != nil {
			return nil, ErrNotFound
		}
		next := *cur
		purge := now.Add(s.opts.TrashFor)
		next.DeletedAt, next.PurgeAt = &now, &purge
		return &next, nil
	})
	return err
}

// Restore brings tenant's link back from the trash as it was.
func (s *Store) Restore(ctx context.Context, tenant, code string, a Actor) (*Link, error) {
	return s.lifecycle(ctx, tenant, code, a, ActionRestore, func(cur *Link, now time.Time) (*Link, error) {
		if cur.DeletedAt == nil || cur.gone() {
			return nil, ErrNotFound
		}
		next := *cur
		next.DeletedAt, next.PurgeAt = nil, nil
		return &next, nil
	})
}

// Purge ends tenant's link, live or in the trash, for good: only its code
// stays, reserved for the tenant, who may create it again.
func (s *Store) Purge(ctx context.Context, tenant, code string, a Actor) error {
	_, err := s.lifecycle(ctx, tenant, code, a, ActionPurge, func(cur *Link, now time.Time) (*Link, error) {
		if cur.Purged {
			return nil, ErrNotFound
		}
		return purgedOf(cur, now), nil
	})
	return err
}

// purgedOf is what stays of a link purged at now: its code and tenant.
func purgedOf(cur *Link, now time.Time) *Link {
	deleted := now
	if cur.DeletedAt != nil {
		deleted = *cur.DeletedAt
	}
	return &Link{Tenant: cur.Tenant, Input: Input{Code: cur.Code, Status: cur.Status}, CreatedAt: cur.CreatedAt,
		DeletedAt: &deleted, Purged: true}
}

// lifecycle moves tenant's link between live, trashed and purged: step
// gives the next record from the current one at now (ErrNotFound when the
// move does not apply). A purge resets the scan limit's counter in the
// same transaction: a new life of the code starts from 0.
func (s *Store) lifecycle(ctx context.Context, tenant, code string, a Actor, action string,
	step func(cur *Link, now time.Time) (*Link, error)) (*Link, error) {
	if !ValidCode(code) {
		return nil, ErrNotFound
	}
	next, _, err := s.apply(ctx, Canonical(code), write{action: action, actor: a,
		step: func(cur *Link, now time.Time) (*Link, error) {
			if cur.Tenant != tenant {
				return nil, ErrNotFound
			}
			n, err := step(cur, now)
			if err != nil {
				return nil, err
			}
			n.UpdatedAt = now
			return n, nil
		},
		also: func(p redis.Pipeliner, key string, n *Link) {
			if n.Purged {
				p.Del(ctx, scanCountKey(key))
			}
		}})
	return next, err
}

// Trash lists tenant's links in the trash, the soonest purged first,
// limit of them from offset on, and the offset of the next page (0: none).
func (s *Store) Trash(ctx context.Context, tenant string, offset, limit int) ([]*Link, int, error) {
	keys, err := s.rdb.ZRange(ctx, tenantTrashKey(tenant), int64(offset), int64(offset+limit)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("trash: %w: %w", ErrUnavailable, err)
	}
	next := 0
	if len(keys) > limit {
		keys, next = keys[:limit], offset+limit
	}
	cmds := make([]*redis.StringCmd, len(keys))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, linkKey(k))
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("trash: %w: %w", ErrUnavailable, err)
	}
	out := make([]*Link, 0, len(keys))
	for i, k := range keys {
		l, err := decodeLink(k, cmds[i])
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		if l.Tenant == tenant && l.DeletedAt != nil && !l.gone() {
			out = append(out, l)
		}
	}
	return out, next, nil
}

// PurgeExpired purges up to max links whose time in the trash ended by
// now, and reports how many it purged.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time, batch int) (int, error) {
	due, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: trashDueKey, Start: "-inf",
		Stop: fmt.Sprint(now.UnixMilli()), ByScore: true, Count: int64(batch)}).Result()
	if err != nil {
		return 0, fmt.Errorf("trash: %w: %w", ErrUnavailable, err)
	}
	n := 0
	var errs []error
	for _, m := range due {
		tenant, code, _ := strings.Cut(m, "\x00")
		_, err := s.lifecycle(ctx, tenant, code, Actor{By: "system:trash", Reason: "time in the trash ended"}, ActionPurge,
			func(cur *Link, at time.Time) (*Link, error) {
				if cur.DeletedAt == nil || cur.gone() || cur.PurgeAt.After(now) {
					return nil, ErrNotFound // restored meanwhile, or moved
				}
				return purgedOf(cur, at), nil
			})
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrNotFound):
			// Restored or purged meanwhile; a link deleted again since has
			// a later score, and its entry stays.
			zremDueLua.Run(ctx, s.rdb, []string{trashDueKey}, m, now.UnixMilli())
		case errors.Is(err, ErrUnavailable), ctx.Err() != nil:
			return n, err
		default:
			// This link alone (a damaged record, a write race): the others
			// go on, and it is tried again at the next sweep.
			errs = append(errs, fmt.Errorf("purge %s: %w", code, err))
		}
	}
	return n, errors.Join(errs...)
}
