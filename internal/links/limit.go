package links

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// admitScript counts a scan only while the link is under its limit, so the
// counter is the number of scans admitted and raising max_scans later
// grants exactly the difference.
var admitScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
return 1
`)

// After a failed count, scans of limited links are let through without
// trying Redis for admitBreak; one count waits at most admitTimeout.
const (
	admitBreak   = time.Second
	admitTimeout = 500 * time.Millisecond
)

// Admit counts one scan against the link's max_scans and reports whether the
// scan is within the limit. Links without a limit cost nothing; limited
// links cost one script call, the only Redis round trip a cached scan can
// make, because an exact limit across gateway instances needs one shared
// counter.
func (s *Store) Admit(ctx context.Context, l *Link) (bool, error) {
	if l.MaxScans <= 0 {
		return true, nil
	}
	if s.Degraded() || s.now().UnixNano() < s.admitOpenUntil.Load() {
		// Redis is known to be down, or a count just failed (a Cluster
		// node of this link may be down while the feed's is up): do not
		// make every scan wait for a timeout to learn it again.
		return false, fmt.Errorf("count scan of %s: %w", l.Code, ErrUnavailable)
	}
	// A client that hangs up must not open the breaker for everyone: the
	// count runs on its own deadline, not the request's.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), admitTimeout)
	defer cancel()
	n, err := admitScript.Run(ctx, s.rdb, []string{scanCountKey(Canonical(l.Code))}, l.MaxScans).Int()
	if err != nil {
		s.admitOpenUntil.Store(s.now().Add(admitBreak).UnixNano())
		return false, fmt.Errorf("count scan of %s: %w: %w", l.Code, ErrUnavailable, err)
	}
	return n == 1, nil
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
