package links

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// After a failed count, scans of limited links are let through without
// trying Redis for admitBreak; one count waits at most admitTimeout.
const (
	admitBreak   = time.Second
	admitTimeout = 500 * time.Millisecond
)

// limitScript checks, and unless ARGV[4] is "peek" counts, a scan against
// a link's limits in one call: KEYS[1] the link's scan count (ARGV[1] its
// max_scans, 0 for none), KEYS[2] the visitor's count in the period
// (ARGV[2] its limit, 0 for none; ARGV[3] its TTL in seconds). Both keys
// carry the link's hash tag. It returns 0 (within), 1 (over max_scans) or
// 2 (over the visitor's limit); a refused scan counts against nothing.
var limitScript = redis.NewScript(`
local max, vmax = tonumber(ARGV[1]), tonumber(ARGV[2])
if max > 0 and tonumber(redis.call('GET', KEYS[1]) or '0') >= max then return 1 end
if vmax > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= vmax then return 2 end
if ARGV[4] == 'peek' then return 0 end
if max > 0 then redis.call('INCR', KEYS[1]) end
if vmax > 0 then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 0
`)

// Over says which limit refused a scan.
type Over uint8

// The limits a scan can be over.
const (
	Within      Over = iota
	OverScans        // max_scans
	OverVisitor      // max_scans_per_visitor
)

// LimitCheck is one scan to check against a link's limits.
type LimitCheck struct {
	// Visitor is the day's visitor id (internal/stats); "" skips the
	// per-visitor limit (the visitor could not be identified).
	Visitor string
	// Time is when the scan happened, for hourly visitor limits.
	Time time.Time
	// Peek checks without counting: HEAD requests.
	Peek bool
}

// CheckLimits checks a scan against the link's max_scans and
// max_scans_per_visitor and, unless c.Peek, counts it against both when it
// is within them: one script call, the only Redis round trip a cached
// scan can make, and only for links with limits, because exact limits
// across gateway instances need shared counters.
func (s *Store) CheckLimits(ctx context.Context, l *Link, c LimitCheck) (Over, error) {
	max, vmax, ttl := l.MaxScans, int64(0), int64(0)
	key := Canonical(l.Code)
	visitorKey := scanCountKey(key) // unused by the script when vmax is 0
	if v := l.MaxScansPerVisitor; v != nil && c.Visitor != "" {
		vmax = v.Count
		visitorKey, ttl = visitorCountKey(key, v.Per, c.Visitor, c.Time)
	}
	if max <= 0 && vmax <= 0 {
		return Within, nil
	}
	if s.Degraded() || s.now().UnixNano() < s.admitOpenUntil.Load() {
		// Redis is known to be down, or a count just failed (a Cluster
		// node of this link may be down while the feed's is up): do not
		// make every scan wait for a timeout to learn it again.
		return Within, fmt.Errorf("check limits of %s: %w", l.Code, ErrUnavailable)
	}
	mode := "count"
	if c.Peek {
		mode = "peek"
	}
	// A client that hangs up must not open the breaker for everyone: the
	// check runs on its own deadline, not the request's.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), admitTimeout)
	defer cancel()
	n, err := limitScript.Run(ctx, s.rdb, []string{scanCountKey(key), visitorKey}, max, vmax, ttl, mode).Int()
	if err != nil {
		s.admitOpenUntil.Store(s.now().Add(admitBreak).UnixNano())
		return Within, fmt.Errorf("check limits of %s: %w: %w", l.Code, ErrUnavailable, err)
	}
	return Over(n), nil
}

// visitorCountKey is the visitor's scan count for the period containing t,
// and how long it must live. Visitor ids change every day, so a daily
// count needs no date in its key; an hourly one is keyed by the UTC hour.
func visitorCountKey(key, per, visitor string, t time.Time) (string, int64) {
	if per == PerHour {
		return visitorScansKey(key, t.UTC().Format("2006010215")+":"+visitor), int64((2 * time.Hour).Seconds())
	}
	// A day's id is used for at most a day; a little more covers clocks
	// and time zones.
	return visitorScansKey(key, "d:"+visitor), int64((26 * time.Hour).Seconds())
}

// UsedScans is how many scans Admit has admitted for each limited link, in
// one pipelined round trip; unlimited links are left out.
func (s *Store) UsedScans(ctx context.Context, ls ...*Link) (map[*Link]int64, error) {
	cmds := make(map[*Link]*redis.StringCmd)
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, l := range ls {
			if l.MaxScans > 0 {
				cmds[l] = p.Get(ctx, scanCountKey(Canonical(l.Code)))
			}
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read scan counts: %w: %w", ErrUnavailable, err)
	}
	used := make(map[*Link]int64, len(cmds))
	for l, c := range cmds {
		n, err := c.Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("read scan count of %s: %w", l.Code, err)
		}
		used[l] = n
	}
	return used, nil
}
