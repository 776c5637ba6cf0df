package links

import (
	"context"
	"errors"
	"time"

	"github.com/scangate/scangate/internal/stats"
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

// ListQuery filters, searches, sorts and pages a tenant's links.
type ListQuery struct {
	Campaign string
	Tag      string
	// Status is "active" or "paused" (as set), or a State other than live:
	// "scheduled", "expired".
	Status string
	// Q searches codes and titles (search.go).
	Q string
	// Sort is "created" (the default), "updated" or "scans": newest, most
	// recently changed or most scanned first.
	Sort   string
	Limit  int
	Cursor string
}

// Sort orders.
const (
	SortCreated = "created"
	SortUpdated = "updated"
	SortScans   = "scans"
)

// Page is one page of links.
type Page struct {
	Items      []*Link
	NextCursor string
}

// ListParams are the raw query parameters of a list request.
type ListParams struct {
	Campaign, Tag, Status, Q, Sort, Limit, Cursor string
}

// CheckCampaign checks a campaign name given in a request.
func CheckCampaign(name string) error { return checkLabel("campaign", name, MaxCampaignRunes) }

// ParseListQuery checks the raw query parameters of a list request.
func ParseListQuery(p ListParams) (ListQuery, error) {
	q := ListQuery{Campaign: p.Campaign, Tag: p.Tag, Status: p.Status, Q: p.Q, Sort: p.Sort,
		Limit: DefaultListLimit, Cursor: p.Cursor}
	if p.Campaign != "" {
		if err := CheckCampaign(p.Campaign); err != nil {
			return q, err
		}
	}
	if p.Tag != "" {
		if err := checkLabel("tag", p.Tag, MaxTagRunes); err != nil {
			return q, err
		}
	}
	switch p.Status {
	case "", string(StatusActive), string(StatusPaused), string(StateScheduled), string(StateExpired):
	default:
		return q, invalid("status", "must be active, paused, scheduled or expired")
	}
	if p.Q != "" {
		if err := checkText("q", p.Q, MaxQueryRunes); err != nil {
			return q, err
		}
		if _, ok := parseSearch(p.Q); !ok {
			return q, invalid("q", "has no letters or digits to search for")
		}
	}
	switch p.Sort {
	case "":
		q.Sort = SortCreated
	case SortCreated, SortUpdated, SortScans:
	default:
		return q, invalid("sort", "must be created, updated or scans")
	}
	if p.Limit != "" {
		n, err := parseInt(p.Limit)
		if err != nil || n < 1 || n > MaxListLimit {
			return q, invalid("limit", "must be a whole number from 1 to %d", MaxListLimit)
		}
		q.Limit = n
	}
	if p.Cursor != "" {
		if _, err := decodeCursor(p.Cursor); err != nil {
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

// Ranker orders a tenant's codes by scans (stats.Querier).
type Ranker interface {
	RankPage(ctx context.Context, tenant string, after *stats.Ranked, n int) ([]stats.Ranked, error)
	InRank(ctx context.Context, tenant string, codes []string) ([]bool, error)
	BackfillRank(ctx context.Context, tenant string, codes []string) error
}

// SetRanker gives the store what sort=scans needs; without one, that sort
// is unavailable.
func (s *Store) SetRanker(r Ranker) { s.ranker = r }

// lister is one List call: the query, what it has found and how much of
// its budget of index entries it has read.
type lister struct {
	s       *Store
	tenant  string
	q       ListQuery
	search  search
	now     time.Time
	page    Page
	scanned int
	digest  string // listDigest of q
}

// full reports whether the page is done: filled (with a cursor after its
// last item) or out of budget (with a cursor after the last entry read).
func (ls *lister) full() bool { return ls.page.NextCursor != "" }

// List returns a page of tenant's links. It walks the one index that
// gives the page's order (for a search, the rarest term's) and checks every
// filter against the stored link, so an index entry left stale by a failed
// write never shows a wrong link. A listing that reads maxListScan entries
// without filling its page returns what it found, with a cursor to go on.
func (s *Store) List(ctx context.Context, tenant string, q ListQuery) (Page, error) {
	if q.Limit <= 0 || q.Limit > MaxListLimit {
		q.Limit = DefaultListLimit
	}
	if q.Sort == "" {
		q.Sort = SortCreated
	}
	ls := &lister{s: s, tenant: tenant, q: q, now: s.now()}
	var ok bool
	if ls.search, ok = parseSearch(q.Q); q.Q != "" && !ok {
		return Page{}, invalid("q", "has no letters or digits to search for")
	}
	ls.digest = listDigest(q)
	cur := cursor{phase: phaseList}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page{}, invalid("cursor", "is not a cursor this API returned")
		}
		switch {
		case c.query == "" && (q.Q != "" || q.Sort != SortCreated):
			// A cursor from before search: of a listing by creation.
			return Page{}, errWrongCursor
		case c.query != "" && c.query != ls.digest:
			return Page{}, errWrongCursor
		}
		cur = c
	}
	if q.Q != "" || q.Sort != SortCreated {
		if err := s.ensureIndexes(ctx, tenant); err != nil {
			return Page{}, err
		}
	}
	var err error
	switch {
	case q.Sort == SortScans:
		err = ls.byScans(ctx, cur)
	case q.Sort == SortUpdated:
		err = ls.phaseOf(cur, phaseList).walk(ctx, tenantUpdatedKey(tenant), updatedMember, cur, phaseList, ls.matches)
	case q.Q != "":
		err = ls.bySearch(ctx, cur)
	default:
		err = ls.phaseOf(cur, phaseList).walk(ctx, ls.createdIndex(), indexMember, cur, phaseList, ls.matches)
	}
	if err != nil {
		return Page{}, err
	}
	return ls.page, nil
}
