package links

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/stats"
)

// The lister's ways through the indexes: by search, by scans, and the
// walk of one sorted index every listing is made of.

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
