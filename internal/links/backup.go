package links

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/scangate/scangate/internal/strictjson"
)

// Backup and restore: a link per line of JSON (JSONL), every record of the
// store or of one tenant: live links, links in the trash and purged codes
// (which keep their tenant's reservation), with how many of its max_scans
// a link used. Importing puts each back with its indexes and count, and
// importing the same file twice changes nothing.

// record is a line of an export: the link and its scan limit's count.
type record struct {
	Link
	ScansUsed int64 `json:"scans_used,omitempty"`
}

// Export writes every link record of tenant ("" for all) to w, one JSON
// object a line, and reports how many. It reads the store's keys as they
// are while it runs (a backup of a store that is written meanwhile holds
// each link as it was when read).
func (s *Store) Export(ctx context.Context, tenant string, w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	n := 0
	err := s.scanLinks(ctx, func(keys []string) error {
		ls, err := s.readKeys(ctx, keys)
		if err != nil {
			return err
		}
		var limited []*Link
		for _, l := range ls {
			if l != nil && l.MaxScans > 0 && !l.gone() {
				limited = append(limited, l)
			}
		}
		used, err := s.UsedScans(ctx, limited...)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if l == nil || tenant != "" && l.Tenant != tenant {
				continue
			}
			data, err := json.Marshal(record{Link: *l, ScansUsed: used[l]})
			if err != nil {
				return err
			}
			bw.Write(data)
			bw.WriteByte('\n')
			n++
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// scanLinks calls fn with batches of canonical codes of every link key,
// on every master of a Cluster.
func (s *Store) scanLinks(ctx context.Context, fn func(codes []string) error) error {
	scan := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, "sg:{*}:link", 500).Result()
			if err != nil {
				return fmt.Errorf("export: %w: %w", ErrUnavailable, err)
			}
			codes := make([]string, 0, len(keys))
			for _, k := range keys {
				code := strings.TrimSuffix(strings.TrimPrefix(k, "sg:{"), "}:link")
				if ValidCode(code) {
					codes = append(codes, code)
				}
			}
			if len(codes) > 0 {
				if err := fn(codes); err != nil {
					return err
				}
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, s.rdb)
}

// ImportResult is what an import did.
type ImportResult struct {
	Imported  int        // records written
	Unchanged int        // records already in the store as they are
	Failed    []RowError // Row: the line, from 1
}

// Import reads a JSONL export and puts each record in the store with its
// indexes: a record the store holds as it is is left alone; a code the
// store holds for another tenant is refused (that line fails); any other
// is written as it is in the file, a version in its history. A line that
// cannot be read fails alone.
func (s *Store) Import(ctx context.Context, r io.Reader, a Actor) (ImportResult, error) {
	res := ImportResult{Failed: []RowError{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		changed, err := s.importOne(ctx, raw, a)
		switch {
		case err == nil && changed:
			res.Imported++
		case err == nil:
			res.Unchanged++
		case errors.Is(err, ErrUnavailable):
			return res, err
		default:
			res.Failed = append(res.Failed, RowError{Row: line, Err: err})
		}
	}
	if err := sc.Err(); err != nil {
		return res, &MalformedError{Message: fmt.Sprintf("line %d: %v", line+1, err)}
	}
	return res, nil
}

// importOne puts one exported record in the store.
func (s *Store) importOne(ctx context.Context, raw []byte, a Actor) (bool, error) {
	var rec record
	if err := strictjson.Decode(raw, &rec); err != nil {
		return false, &MalformedError{Message: "not a link record: " + err.Error()}
	}
	l := rec.Link
	if !ValidCode(l.Code) || l.Tenant == "" {
		return false, invalid("code", "a record needs a valid code and its tenant")
	}
	if !l.gone() {
		// The record's fields are checked, and stored, as a write would.
		in, err := l.editable()
		if err != nil {
			return false, err
		}
		if err := in.normalize(); err != nil {
			return false, err
		}
		n := newLink(l.Tenant, in, l.CreatedAt)
		n.Code, n.UpdatedAt, n.Version = l.Code, l.UpdatedAt, l.Version
		n.DeletedAt, n.PurgeAt = l.DeletedAt, l.PurgeAt
		n.Made, n.MadeRev, n.PlatformStatus = l.Made, l.MadeRev, l.PlatformStatus
		l = *n
	}
	// Launch links are redirect targets: only the platforms' own forms,
	// and only for the ways in the link has.
	made := l.Made[:0:0]
	for _, m := range l.Made {
		if validMade(m.Platform, m.Kind, m.URL) {
			made = append(made, m)
		}
	}
	l.Made = made
	l.keepCurrentMade()
	l.compileRules()
	data, err := json.Marshal(&l)
	if err != nil {
		return false, err
	}
	cur, wrote, err := s.apply(ctx, Canonical(l.Code), write{action: "import", actor: a, missing: true,
		step: func(cur *Link, _ time.Time) (*Link, error) {
			next := l
			if cur == nil {
				return &next, nil
			}
			if cur.Tenant != l.Tenant {
				return nil, ErrExists // another tenant's: code taken
			}
			used, err := s.rdb.Get(ctx, scanCountKey(Canonical(l.Code))).Int64()
			if err != nil && !errors.Is(err, redis.Nil) {
				return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			// The same record but for its version number is imported
			// already; otherwise it is a new version (versions only go up).
			cmp := *cur
			cmp.Version = l.Version
			if same, _ := json.Marshal(&cmp); bytes.Equal(same, data) && (l.MaxScans == 0 || used == rec.ScansUsed) {
				return nil, nil
			}
			return &next, nil
		},
		also: func(p redis.Pipeliner, key string, _ *Link) {
			if rec.ScansUsed > 0 {
				p.Set(ctx, scanCountKey(key), rec.ScansUsed, 0)
			} else {
				p.Del(ctx, scanCountKey(key))
			}
		}})
	if err == nil && !wrote && cur != nil {
		// Unchanged, but its index entries go back all the same: a restore
		// repairs indexes that lost entries.
		if err := s.addIndexes(ctx, cur); err != nil {
			return false, fmt.Errorf("index %s: %w: %w", l.Code, ErrUnavailable, err)
		}
	}
	return wrote, err
}

// EachOfTenant calls fn with each of tenant's links, live (by its list,
// with a cursor, so that links added or removed meanwhile shift nothing)
// then in the trash, reading them in batches.
func (s *Store) EachOfTenant(ctx context.Context, tenant string, fn func(*Link) error) error {
	each := func(ls []*Link, trash bool) error {
		for _, l := range ls {
			if l == nil || l.Tenant != tenant || l.gone() || trash != (l.DeletedAt != nil) {
				continue
			}
			if err := fn(l); err != nil {
				return err
			}
		}
		return nil
	}
	from := "-"
	for {
		members, err := s.rdb.ZRangeByLex(ctx, tenantLinksKey(tenant), &redis.ZRangeBy{Min: from, Max: "+", Count: readBatch}).Result()
		if err != nil {
			return fmt.Errorf("export: %w: %w", ErrUnavailable, err)
		}
		if len(members) == 0 {
			break
		}
		ls, err := s.readMany(ctx, members)
		if err != nil {
			return err
		}
		if err := each(ls, false); err != nil {
			return err
		}
		from = "(" + members[len(members)-1]
	}
	trashed, err := s.rdb.ZRange(ctx, tenantTrashKey(tenant), 0, -1).Result()
	if err != nil {
		return fmt.Errorf("export: %w: %w", ErrUnavailable, err)
	}
	for start := 0; start < len(trashed); start += readBatch {
		ls, err := s.readKeys(ctx, trashed[start:min(start+readBatch, len(trashed))])
		if err != nil {
			return err
		}
		if err := each(ls, true); err != nil {
			return err
		}
	}
	return nil
}
