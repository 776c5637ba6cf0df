package auth

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Tenants' use of what they share, counted in fixed windows (a minute, an
// hour) across every gateway instance, so that one tenant's scripts cannot
// take the others' share of the admin API, bulk imports or exports.

// Quota is one limit of a tenant over a window. A Limit of 0 is none.
type Quota struct {
	Name   string // "api_per_minute", "bulk_rows_per_hour", "exports_per_hour"
	Limit  int64
	Window time.Duration
}

// Use is a quota's state: how much of the current window is used, and
// when the window ends.
type Use struct {
	Quota
	Used    int64
	ResetAt time.Time
}

func quotaKey(tenant, name string, window int64) string {
	return "sg:{t:" + tenant + "}:quota:" + name + ":" + strconv.FormatInt(window, 10)
}

// spendLua adds ARGV[1] to the window's count KEYS[1] unless that would
// pass ARGV[2]; the key expires with its window (in ARGV[3] ms). It
// answers the count after, or -1 when refused.
var spendLua = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local add = tonumber(ARGV[1])
if n + add > tonumber(ARGV[2]) then return -1 end
n = redis.call('INCRBY', KEYS[1], add)
if n == add then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return n
`)

// Spend takes n of tenant's quota q in the window of now, atomically
// across instances. It reports false, and when the window ends, when that
// would pass the limit; nothing is taken then.
func (s *Store) Spend(ctx context.Context, tenant string, q Quota, n int64, now time.Time) (bool, time.Time, error) {
	if q.Limit <= 0 || n <= 0 {
		return true, time.Time{}, nil
	}
	start, end := windowOf(now, q.Window)
	got, err := spendLua.Run(ctx, s.rdb, []string{quotaKey(tenant, q.Name, start.UnixMilli())},
		n, q.Limit, end.Sub(now).Milliseconds()+time.Minute.Milliseconds()).Int64()
	if err != nil {
		return false, time.Time{}, fmt.Errorf("quota %s: %w: %w", q.Name, ErrUnavailable, err)
	}
	return got >= 0, end, nil
}

// Usage reads tenant's use of each quota in its window of now.
func (s *Store) Usage(ctx context.Context, tenant string, qs []Quota, now time.Time) ([]Use, error) {
	cmds := make([]*redis.StringCmd, len(qs))
	out := make([]Use, len(qs))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, q := range qs {
			start, end := windowOf(now, q.Window)
			out[i] = Use{Quota: q, ResetAt: end}
			cmds[i] = p.Get(ctx, quotaKey(tenant, q.Name, start.UnixMilli()))
		}
		return nil
	})
	if err != nil && err != redis.Nil {
		return nil, fmt.Errorf("usage: %w: %w", ErrUnavailable, err)
	}
	for i, c := range cmds {
		out[i].Used, _ = c.Int64() // a window not begun has no key: 0
	}
	return out, nil
}

func windowOf(now time.Time, w time.Duration) (start, end time.Time) {
	start = now.Truncate(w)
	return start, start.Add(w)
}
