package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Actor is who makes a write, and why, as the version it makes records.
type Actor struct {
	// By: "key:<id>" for an API key, "user:<id>" for a console user,
	// "system:<job>" for the gateway itself.
	By     string
	Reason string // optional, at most MaxReason characters
}

// MaxReason bounds a write's reason.
const MaxReason = 200

func (a Actor) check() error { return checkShown("reason", a.Reason, MaxReason) }

// What a version records.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionDelete  = "delete"
	ActionRestore = "restore"
	ActionRevert  = "revert"
)

// HistoryKept is how many versions of a link are kept: the newest; an
// older one is dropped when a newer one is stored past it.
const HistoryKept = 100

// Entry is one version of a link: the link as the write left it, who
// made the write, when and why.
type Entry struct {
	Version int64           `json:"version"`
	At      time.Time       `json:"at"`
	By      string          `json:"by"`
	Reason  string          `json:"reason,omitempty"`
	Action  string          `json:"action"`
	Link    json.RawMessage `json:"link"`
}

// historyKey holds a link's versions, newest first, in the link's slot,
// so a write and its version share one transaction.
func historyKey(canonical string) string { return "sg:{" + canonical + "}:hist" }

// entryOf encodes the version a write of l (encoded as data) makes.
func entryOf(l *Link, data []byte, action string, a Actor, at time.Time) ([]byte, error) {
	return json.Marshal(Entry{Version: l.Version, At: at, By: a.By, Reason: a.Reason, Action: action, Link: data})
}

// pushEntry queues a version on p, keeping the newest HistoryKept.
func pushEntry(ctx context.Context, p redis.Pipeliner, canonical string, entry []byte) {
	p.LPush(ctx, historyKey(canonical), entry)
	p.LTrim(ctx, historyKey(canonical), 0, HistoryKept-1)
}

// What claimLua answers.
const (
	claimTaken   = 0 // another tenant's code, or a live link
	claimStored  = 1
	claimInTrash = 2 // the tenant's code, in its trash
	claimPurged  = 3 // the tenant's purged code: claimed again by reclaim
)

// claimLua stores a new link if its code is free, with its first version:
// KEYS[1] the link, KEYS[2] its history; ARGV the link, the version, the
// newest index kept, the tenant. It answers one of the claim constants. A
// record deleted before the trash existed (deleted_at, no purge_at) counts
// as purged.
var claimLua = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, o = pcall(cjson.decode, cur)
  if not ok or type(o) ~= 'table' or o.tenant ~= ARGV[4] then return 0 end
  if o.purged == true or (o.deleted_at and not o.purge_at) then return 3 end
  if o.deleted_at then return 2 end
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]))
return 1
`)

// reclaimLua is claimLua over the tenant's purged code, if it is still
// the record read (ARGV[4]). 1: stored; 0: changed meanwhile.
var reclaimLua = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[4] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]))
return 1
`)

// claimCode queues claimLua for l on p, and returns the version it writes.
func claimCode(ctx context.Context, p redis.Scripter, l *Link, data []byte, a Actor, at time.Time) (*redis.Cmd, []byte, error) {
	entry, err := entryOf(l, data, ActionCreate, a, at)
	if err != nil {
		return nil, nil, err
	}
	key := Canonical(l.Code)
	return claimLua.Eval(ctx, p, []string{linkKey(key), historyKey(key)}, data, entry, HistoryKept-1, l.Tenant), entry, nil
}

// unclaimLua undoes a claim that a failed pipeline may have landed, if the
// record is still the one it wrote (ARGV[1]); its version goes if it is
// still the newest (ARGV[2]).
var unclaimLua = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('LINDEX', KEYS[2], 0) == ARGV[2] then redis.call('LPOP', KEYS[2]) end
return 1
`)

// unclaim queues unclaimLua on p.
func unclaim(ctx context.Context, p redis.Scripter, code string, data, entry []byte) {
	key := Canonical(code)
	unclaimLua.Eval(ctx, p, []string{linkKey(key), historyKey(key)}, data, entry)
}

// reclaim stores l over its tenant's purged code: a new life of the code,
// whose versions go on from the purged one's (and its stats from its
// earlier life's).
func (s *Store) reclaim(ctx context.Context, l *Link, a Actor) error {
	key := Canonical(l.Code)
	raw, err := s.rdb.Get(ctx, linkKey(key)).Result()
	if err != nil {
		return fmt.Errorf("store link %s: %w: %w", key, ErrUnavailable, err)
	}
	var old Link
	if err := json.Unmarshal([]byte(raw), &old); err != nil || !old.gone() || old.Tenant != l.Tenant {
		return ErrExists
	}
	l.Version = old.Version + 1
	data, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode link: %w", err)
	}
	entry, err := entryOf(l, data, ActionCreate, a, l.CreatedAt)
	if err != nil {
		return fmt.Errorf("encode version: %w", err)
	}
	n, err := reclaimLua.Eval(ctx, s.rdb, []string{linkKey(key), historyKey(key)}, data, entry, HistoryKept-1, raw).Int()
	if err != nil {
		return fmt.Errorf("store link %s: %w: %w", key, ErrUnavailable, err)
	}
	if n == 0 {
		return ErrConflict
	}
	return nil
}

// History returns versions of tenant's link (a deleted one's too), newest
// first: up to limit of those older than version before (0: from the
// newest), and the version to continue before (0: no more). A cursor by
// version, not by position, so that a write between two pages shifts
// nothing.
func (s *Store) History(ctx context.Context, tenant, code string, before int64, limit int) ([]Entry, int64, error) {
	if !ValidCode(code) {
		return nil, 0, ErrNotFound
	}
	key := Canonical(code)
	var link *redis.StringCmd
	var raw *redis.StringSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		link = p.Get(ctx, linkKey(key))
		raw = p.LRange(ctx, historyKey(key), 0, -1) // at most HistoryKept
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, fmt.Errorf("history of %s: %w: %w", key, ErrUnavailable, err)
	}
	l, err := decodeLink(key, link)
	if err != nil {
		return nil, 0, err
	}
	if l.Tenant != tenant {
		return nil, 0, ErrNotFound
	}
	out := make([]Entry, 0, min(limit, len(raw.Val())))
	var next int64
	for _, v := range raw.Val() {
		var e Entry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, 0, fmt.Errorf("history of %s: %w", key, err)
		}
		if before > 0 && e.Version >= before {
			continue
		}
		if len(out) == limit {
			next = out[len(out)-1].Version
			break
		}
		out = append(out, e)
	}
	return out, next, nil
}

// Revert makes a new version of tenant's link with the editable fields it
// had at version: its targets, rules, status and the rest. The code,
// creation time and launch links are the link's own.
func (s *Store) Revert(ctx context.Context, tenant, code string, version int64, a Actor) (*Link, error) {
	entries, _, err := s.History(ctx, tenant, code, 0, HistoryKept)
	if err != nil {
		return nil, err
	}
	var old *Link
	for _, e := range entries {
		if e.Version == version {
			if err := json.Unmarshal(e.Link, &old); err != nil {
				return nil, fmt.Errorf("version %d of %s: %w", version, code, err)
			}
			break
		}
	}
	if old == nil {
		return nil, invalid("version", "the link has no version %d (the newest %d are kept)", version, HistoryKept)
	}
	if old.DeletedAt != nil {
		return nil, invalid("version", "version %d is the link deleted or purged; revert to a version before it", version)
	}
	in, err := old.editable()
	if err != nil {
		return nil, err
	}
	if a.Reason == "" {
		a.Reason = fmt.Sprintf("revert to version %d", version)
	}
	return s.update(ctx, tenant, code, Change{Actor: a, Edit: func(cur *Input) error {
		in.Code = cur.Code
		*cur = in
		return nil
	}}, ActionRevert)
}
