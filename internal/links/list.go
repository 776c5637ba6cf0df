package links

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Listing bounds.
const (
	DefaultListLimit = 50
	MaxListLimit     = 500
	// maxListScan bounds the index entries one List call reads when filters
	// reject most of them; the caller then gets fewer items and a cursor to
	// go on from, rather than a slow request.
	maxListScan = 5000
)

// ListQuery filters and pages a tenant's links.
type ListQuery struct {
	Campaign string
	Tag      string
	// Status is "active" or "paused" (as set), or a State other than live:
	// "scheduled", "expired".
	Status string
	Limit  int
	Cursor string
}

// Page is one page of links, newest first.
type Page struct {
	Items      []*Link
	NextCursor string
}

// ParseListQuery checks the raw query parameters of a list request.
func ParseListQuery(campaign, tag, status, limit, cursor string) (ListQuery, error) {
	q := ListQuery{Campaign: campaign, Tag: tag, Status: status, Limit: DefaultListLimit, Cursor: cursor}
	if campaign != "" {
		if err := checkLabel("campaign", campaign, MaxCampaignRunes); err != nil {
			return q, err
		}
	}
	if tag != "" {
		if err := checkLabel("tag", tag, MaxTagRunes); err != nil {
			return q, err
		}
	}
	switch status {
	case "", string(StatusActive), string(StatusPaused), string(StateScheduled), string(StateExpired):
	default:
		return q, invalid("status", "must be active, paused, scheduled or expired")
	}
	if limit != "" {
		n, err := parseInt(limit)
		if err != nil || n < 1 || n > MaxListLimit {
			return q, invalid("limit", "must be a whole number from 1 to %d", MaxListLimit)
		}
		q.Limit = n
	}
	if cursor != "" {
		if _, err := decodeCursor(cursor); err != nil {
			return q, invalid("cursor", "is not a cursor this API returned")
		}
	}
	return q, nil
}

func parseInt(s string) (int, error) {
	if len(s) > 9 {
		return 0, errors.New("too long")
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errors.New("not a number")
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, nil
}

// Cursors are opaque to clients: the index member to continue after.
func encodeCursor(member string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(member))
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 18 || b[16] != ':' {
		return "", errors.New("bad cursor")
	}
	return string(b), nil
}

// List returns tenant's links newest first. It walks the narrowest index
// for the filters and checks every filter against the stored link, so an
// index entry left stale by a failed write never shows a wrong link.
func (s *Store) List(ctx context.Context, tenant string, q ListQuery) (Page, error) {
	if q.Limit <= 0 || q.Limit > MaxListLimit {
		q.Limit = DefaultListLimit
	}
	index := tenantLinksKey(tenant)
	switch {
	case q.Campaign != "":
		index = campaignLinksKey(tenant, q.Campaign)
	case q.Tag != "":
		index = tagLinksKey(tenant, q.Tag)
	}
	min := "-"
	if q.Cursor != "" {
		m, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, invalid("cursor", "is not a cursor this API returned")
		}
		min = "(" + m
	}
	now := s.now()
	var page Page
	scanned := 0
	batch := int64(q.Limit + 1)
	for scanned < maxListScan {
		members, err := s.rdb.ZRangeByLex(ctx, index, &redis.ZRangeBy{Min: min, Max: "+", Count: batch}).Result()
		if err != nil {
			return Page{}, fmt.Errorf("list links: %w: %w", ErrUnavailable, err)
		}
		if len(members) == 0 {
			return page, nil
		}
		links, err := s.readMany(ctx, members)
		if err != nil {
			return Page{}, err
		}
		for i, l := range links {
			scanned++
			if l != nil && l.Tenant == tenant && l.DeletedAt == nil && q.matches(l, now) {
				if len(page.Items) == q.Limit {
					// More matches exist: continue after the last entry read
					// before this one.
					page.NextCursor = encodeCursor(min[1:])
					return page, nil
				}
				page.Items = append(page.Items, l)
			}
			min = "(" + members[i]
		}
		if len(members) < int(batch) {
			return page, nil
		}
		batch = min64(batch*2, 1000)
	}
	page.NextCursor = encodeCursor(min[1:])
	return page, nil
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

func (q ListQuery) matches(l *Link, now time.Time) bool {
	if q.Campaign != "" && l.Campaign != q.Campaign {
		return false
	}
	if q.Tag != "" && !contains(l.Tags, q.Tag) {
		return false
	}
	switch q.Status {
	case "":
		return true
	case string(StatusActive), string(StatusPaused):
		return string(l.Status) == q.Status
	default:
		return string(l.StateAt(now, 0)) == q.Status
	}
}

// readMany reads the links behind index members in one pipelined round
// trip. A member whose link is gone, or that is not the link's own (a
// leftover of an earlier life of its code, with another creation time),
// yields nil: an index may hold extra entries, never missing ones.
func (s *Store) readMany(ctx context.Context, members []string) ([]*Link, error) {
	keys := make([]string, len(members))
	for i, m := range members {
		_, keys[i], _ = strings.Cut(m, ":")
	}
	ls, err := s.readKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i, l := range ls {
		if l != nil && indexMember(l) != members[i] {
			ls[i] = nil
		}
	}
	return ls, nil
}

// readKeys reads the links of canonical codes in one pipelined round trip;
// a code with no link yields nil.
func (s *Store) readKeys(ctx context.Context, keys []string) ([]*Link, error) {
	cmds := make([]*redis.StringCmd, len(keys))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, key := range keys {
			cmds[i] = p.Get(ctx, linkKey(key))
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read links: %w: %w", ErrUnavailable, err)
	}
	out := make([]*Link, len(keys))
	for i, c := range cmds {
		data, err := c.Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read links: %w: %w", ErrUnavailable, err)
		}
		var l Link
		if err := json.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("decode link: %w", err)
		}
		l.compileRules()
		out[i] = &l
	}
	return out, nil
}

// CampaignCodes returns the codes of tenant's live links in a campaign, for
// batch export. At most max codes are returned; more is ErrInvalid.
func (s *Store) CampaignCodes(ctx context.Context, tenant, campaign string, max int) ([]*Link, error) {
	members, err := s.rdb.ZRangeByLex(ctx, campaignLinksKey(tenant, campaign), &redis.ZRangeBy{Min: "-", Max: "+", Count: int64(max) + 1}).Result()
	if err != nil {
		return nil, fmt.Errorf("list campaign: %w: %w", ErrUnavailable, err)
	}
	var out []*Link
	for start := 0; start < len(members); start += readBatch {
		end := min(start+readBatch, len(members))
		links, err := s.readMany(ctx, members[start:end])
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			if l != nil && l.Tenant == tenant && l.DeletedAt == nil && l.Campaign == campaign {
				out = append(out, l)
			}
		}
	}
	if len(out) > max {
		return nil, invalid("campaign", "has more than %d links", max)
	}
	return out, nil
}

// CampaignKnown reports whether tenant has a live link in campaign (names
// are case-sensitive), for refusing a misspelt one rather than answering
// zeros.
func (s *Store) CampaignKnown(ctx context.Context, tenant, campaign string) (bool, error) {
	n, err := s.rdb.ZCard(ctx, campaignLinksKey(tenant, campaign)).Result()
	if err != nil {
		return false, fmt.Errorf("campaign: %w: %w", ErrUnavailable, err)
	}
	return n > 0, nil
}
