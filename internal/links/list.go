package links

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

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

// A cursor is opaque to clients: the listing it belongs to (a digest of
// its filters, search and sort, so that it cannot continue another), the
// phase of the listing it stopped in and the position to go on after:
// "<phase>|<digest>|<position>". Cursors of releases before search were a
// list member alone, and are read as phaseList of any listing.
type cursor struct {
	phase  byte
	query  string // the listing's digest (listDigest); "" in an old cursor
	member string // phaseList, phaseUnranked: an index member; phaseCodes: a canonical code
	scans  int64  // phaseRanked: the last code's scans (member its code)
}

const (
	phaseList     = 'm' // a list ordered by member: all, campaign, tag, updated, a search token
	phaseCodes    = 'c' // a search's code prefix matches, before its title matches
	phaseTitles   = 't' // a search's title matches
	phaseRanked   = 'r' // sort=scans: links by scans, most first
	phaseUnranked = 'u' // sort=scans: links never scanned, newest first
)

// listDigest names a listing: 8 hex digits of FNV-1a over its parameters
// other than limit and cursor (q as it is compared: folded, its spaces
// collapsed).
func listDigest(q ListQuery) string {
	h := fnv.New32a()
	for _, p := range []string{q.Campaign, q.Tag, q.Status, strings.Join(strings.Fields(fold(q.Q)), " "), q.Sort} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%08x", h.Sum32())
}

func (c cursor) encode() string {
	pos := c.member
	if c.phase == phaseRanked && c.member != "" {
		pos = strconv.FormatInt(c.scans, 10) + "|" + c.member
	}
	return base64.RawURLEncoding.EncodeToString([]byte(string(c.phase) + "|" + c.query + "|" + pos))
}

func decodeCursor(s string) (cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	bad := errors.New("bad cursor")
	switch {
	case err != nil || len(b) < 2:
		return cursor{}, bad
	case b[1] != '|':
		if len(b) < 18 || b[16] != ':' {
			return cursor{}, bad
		}
		return cursor{phase: phaseList, member: string(b)}, nil
	case len(b) < 11 || b[10] != '|':
		return cursor{}, bad
	}
	c := cursor{phase: b[0], query: string(b[2:10]), member: string(b[11:])}
	if c.member == "" { // the start of a phase
		switch c.phase {
		case phaseList, phaseCodes, phaseTitles, phaseRanked, phaseUnranked:
			return c, nil
		}
		return cursor{}, bad
	}
	switch c.phase {
	case phaseList, phaseTitles, phaseUnranked:
		if len(c.member) < 18 || c.member[16] != ':' {
			return cursor{}, bad
		}
	case phaseCodes:
		if !ValidCode(c.member) {
			return cursor{}, bad
		}
	case phaseRanked:
		n, code, ok := strings.Cut(c.member, "|")
		v, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil || v < 0 || !ValidCode(code) {
			return cursor{}, bad
		}
		c.scans, c.member = v, code
	default:
		return cursor{}, bad
	}
	return c, nil
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

// errWrongCursor is a cursor of another kind of listing.
var errWrongCursor = invalid("cursor", "belongs to another listing: start again without it")

// phaseOf checks that a cursor is of one of the phases the listing has.
func (ls *lister) phaseOf(c cursor, phases ...byte) *lister {
	for _, p := range phases {
		if c.phase == p {
			return ls
		}
	}
	return nil
}

// createdIndex is the narrowest list by creation for the filters.
func (ls *lister) createdIndex() string {
	switch {
	case ls.q.Campaign != "":
		return campaignLinksKey(ls.tenant, ls.q.Campaign)
	case ls.q.Tag != "":
		return tagLinksKey(ls.tenant, ls.q.Tag)
	}
	return tenantLinksKey(ls.tenant)
}

// bySearch lists a search's code prefix matches (by code), then its other
// title matches (newest first).
func (ls *lister) bySearch(ctx context.Context, cur cursor) error {
	if cur.phase == phaseList && cur.member != "" {
		return errWrongCursor
	}
	sr := ls.search
	if cur.phase == phaseCodes || cur.phase == phaseList {
		if sr.code != "" {
			after := cur
			if cur.phase == phaseList {
				after.member = ""
			}
			min, max := "["+sr.code, "["+sr.code+"\xff"
			if after.member != "" {
				min = "(" + after.member
			}
			err := ls.walkRange(ctx, tenantCodesKey(ls.tenant), func(l *Link) string { return Canonical(l.Code) },
				min, max, phaseCodes, func(l *Link) bool { return sr.codeMatch(l) && ls.matches(l) })
			if err != nil || ls.full() {
				return err
			}
		}
		cur = cursor{phase: phaseTitles}
	}
	if cur.phase != phaseTitles {
		return errWrongCursor
	}
	toks := sr.queryTokens()
	if len(toks) == 0 {
		return nil
	}
	// Every title match is in each token's list and in the campaign's or
	// tag's, all ordered alike: walk the shortest.
	keys := make([]string, len(toks), len(toks)+1)
	for i, t := range toks {
		keys[i] = searchKey(ls.tenant, t)
	}
	if k := ls.createdIndex(); k != tenantLinksKey(ls.tenant) {
		keys = append(keys, k)
	}
	cmds := make([]*redis.IntCmd, len(keys))
	if _, err := ls.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.ZCard(ctx, k)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("search: %w: %w", ErrUnavailable, err)
	}
	best := 0
	for i, c := range cmds {
		if c.Val() < cmds[best].Val() {
			best = i
		}
	}
	if cmds[best].Val() == 0 {
		return nil
	}
	return ls.walk(ctx, keys[best], indexMember, cur, phaseTitles, func(l *Link) bool {
		return !sr.codeMatch(l) && sr.titleMatch(l) && ls.matches(l)
	})
}

// byScans lists the links with scans, most first, then the others, newest
// first.
func (ls *lister) byScans(ctx context.Context, cur cursor) error {
	r := ls.s.ranker
	if r == nil {
		return invalid("sort", "scans is not available")
	}
	if cur.phase == phaseList && cur.member != "" || cur.phase != phaseList && cur.phase != phaseRanked && cur.phase != phaseUnranked {
		return errWrongCursor
	}
	if cur.phase != phaseUnranked {
		var after *stats.Ranked
		if cur.phase == phaseRanked {
			after = &stats.Ranked{Code: cur.member, Scans: cur.scans}
		}
		n := ls.q.Limit + 1
		for ls.scanned < maxListScan {
			ranked, err := r.RankPage(ctx, ls.tenant, after, n)
			if err != nil {
				return err
			}
			codes := make([]string, len(ranked))
			for i, rk := range ranked {
				codes[i] = rk.Code
			}
			links, err := ls.s.readKeys(ctx, codes)
			if err != nil {
				return err
			}
			for i, l := range links {
				ls.scanned++
				if l != nil && ls.own(l) && Canonical(l.Code) == codes[i] && ls.matches(l) {
					if ls.add(l, rankCursor(after)) {
						return nil
					}
				}
				after = &ranked[i]
			}
			if len(ranked) < n {
				break
			}
			n = min(2*n, 1000) // a rare filter: read on in bigger steps
		}
		if ls.scanned >= maxListScan {
			ls.page.NextCursor = ls.encode(rankCursor(after))
			return nil
		}
		cur = cursor{phase: phaseUnranked}
	}
	return ls.walkWith(ctx, ls.createdIndex(), indexMember, "-", "+", cur, phaseUnranked, ls.matches,
		func(ctx context.Context, found []*Link) ([]bool, error) {
			codes := make([]string, len(found))
			for i, l := range found {
				codes[i] = Canonical(l.Code)
			}
			in, err := r.InRank(ctx, ls.tenant, codes)
			for i := range in {
				in[i] = !in[i]
			}
			return in, err
		})
}

// rankCursor goes on after a code of the rank (nil: from its top).
func rankCursor(after *stats.Ranked) cursor {
	if after == nil {
		return cursor{phase: phaseRanked}
	}
	return cursor{phase: phaseRanked, member: after.Code, scans: after.Scans}
}

// encode is c's text, as a cursor of this listing.
func (ls *lister) encode(c cursor) string {
	c.query = ls.digest
	return c.encode()
}

func (ls *lister) own(l *Link) bool { return l.Tenant == ls.tenant && l.DeletedAt == nil }

// add puts l on the page, or, when the page is full, sets the cursor to
// before it (at): it reports whether the page is full.
func (ls *lister) add(l *Link, at cursor) bool {
	if len(ls.page.Items) == ls.q.Limit {
		ls.page.NextCursor = ls.encode(at)
		return true
	}
	ls.page.Items = append(ls.page.Items, l)
	return false
}

// walk pages the lex index key after cur's member (cur of phase), member
// giving each link's member in it, keeping the links keep accepts.
func (ls *lister) walk(ctx context.Context, key string, member func(*Link) string, cur cursor, phase byte, keep func(*Link) bool) error {
	if ls == nil {
		return errWrongCursor
	}
	min := "-"
	if cur.phase == phase && cur.member != "" {
		min = "(" + cur.member
	}
	return ls.walkRange(ctx, key, member, min, "+", phase, keep)
}

func (ls *lister) walkRange(ctx context.Context, key string, member func(*Link) string, min, max string, phase byte, keep func(*Link) bool) error {
	return ls.walkWith(ctx, key, member, min, max, cursor{}, phase, keep, nil)
}

// walkWith is walk over [min, max] (or after cur, when of phase), with an
// optional check of a batch of kept links against something outside
// (also).
func (ls *lister) walkWith(ctx context.Context, key string, member func(*Link) string, min, max string, cur cursor, phase byte,
	keep func(*Link) bool, also func(context.Context, []*Link) ([]bool, error)) error {
	if cur.phase == phase && cur.member != "" {
		min = "(" + cur.member
	}
	// last is the entry before the next one read: where a cursor goes on
	// from ("" for the start of the phase).
	last := ""
	if strings.HasPrefix(min, "(") {
		last = min[1:]
	}
	batch := int64(ls.q.Limit + 1)
	for ls.scanned < maxListScan {
		members, err := ls.s.rdb.ZRangeByLex(ctx, key, &redis.ZRangeBy{Min: min, Max: max, Count: batch}).Result()
		if err != nil {
			return fmt.Errorf("list links: %w: %w", ErrUnavailable, err)
		}
		if len(members) == 0 {
			return nil
		}
		found, err := ls.s.readMembers(ctx, members, member)
		if err != nil {
			return err
		}
		var kept []*Link
		for i, l := range found {
			if l != nil && !(ls.own(l) && keep(l)) {
				found[i] = nil
			} else if l != nil {
				kept = append(kept, l)
			}
		}
		var ok []bool
		if also != nil && len(kept) > 0 {
			if ok, err = also(ctx, kept); err != nil {
				return err
			}
		}
		k := 0
		for i, l := range found {
			ls.scanned++
			if l != nil {
				k++
				if (ok == nil || ok[k-1]) && ls.add(l, cursor{phase: phase, member: last}) {
					return nil
				}
			}
			last = members[i]
		}
		min = "(" + last
		if len(members) < int(batch) {
			return nil
		}
		batch = min64(batch*2, 1000)
	}
	ls.page.NextCursor = ls.encode(cursor{phase: phase, member: last})
	return nil
}

func min64(a, b int64) int64 {
	if a < b {
		return a
	}
	return b
}

// matches checks every filter of the query against l.
func (ls *lister) matches(l *Link) bool {
	q := ls.q
	if q.Campaign != "" && l.Campaign != q.Campaign {
		return false
	}
	if q.Tag != "" && !contains(l.Tags, q.Tag) {
		return false
	}
	if q.Q != "" && !ls.search.match(l) {
		return false
	}
	switch q.Status {
	case "":
		return true
	case string(StatusActive), string(StatusPaused):
		return string(l.Status) == q.Status
	default:
		return string(l.StateAt(ls.now, 0)) == q.Status
	}
}

// readMany reads the links behind members of a list by creation in one
// pipelined round trip (readMembers).
func (s *Store) readMany(ctx context.Context, members []string) ([]*Link, error) {
	return s.readMembers(ctx, members, indexMember)
}

// readMembers reads the links behind index members in one pipelined round
// trip: a member is a canonical code, or an ordering key, ':' and the code.
// A member whose link is gone, or that is not the link's own in that index
// (member gives it: a leftover of an earlier life of the code, or of an
// earlier title or change), yields nil: an index may hold extra entries,
// never missing ones.
func (s *Store) readMembers(ctx context.Context, members []string, member func(*Link) string) ([]*Link, error) {
	keys := make([]string, len(members))
	for i, m := range members {
		keys[i] = m
		if len(m) > 17 && m[16] == ':' {
			keys[i] = m[17:]
		}
	}
	ls, err := s.readKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i, l := range ls {
		if l != nil && member(l) != members[i] {
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
