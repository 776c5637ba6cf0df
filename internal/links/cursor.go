package links

import (
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

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
