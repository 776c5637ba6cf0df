package stats

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// A tenant's rank (rankKey) orders its link codes by all-time scans, most
// first, for listing links by scans. It holds codes that were scanned; the
// caller lists the others after them.

// Ranked is one code of the rank and its scans.
type Ranked struct {
	Code  string
	Scans int64
}

// rankPageLua reads a page of the rank after a cursor, most scans first
// (ties in reverse code order, as ZREVRANGE has them). KEYS[1] the rank;
// ARGV[1] the cursor's scans ("" for the first page), ARGV[2] its code,
// ARGV[3] the page size. A cursor whose code still has the cursor's scans
// continues right after it; one whose code moved since goes on after every
// code with more scans than the cursor had, which may show a code twice
// but never skips one that did not move.
const rankPageLua = `
local start = 0
if ARGV[1] ~= '' then
  local s = redis.call('ZSCORE', KEYS[1], ARGV[2])
  if s and tonumber(s) == tonumber(ARGV[1]) then
    start = redis.call('ZREVRANK', KEYS[1], ARGV[2]) + 1
  else
    start = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
  end
end
return redis.call('ZREVRANGE', KEYS[1], start, start + tonumber(ARGV[3]) - 1, 'WITHSCORES')
`

var rankPageScript = redis.NewScript(rankPageLua)

// RankPage returns up to n of tenant's codes by scans, after the code and
// scans of the last one a previous page returned (after nil: from the top).
func (q *Querier) RankPage(ctx context.Context, tenant string, after *Ranked, n int) ([]Ranked, error) {
	score, code := "", ""
	if after != nil {
		score, code = strconv.FormatInt(after.Scans, 10), after.Code
	}
	res, err := rankPageScript.Run(ctx, q.rdb, []string{rankKey(tenant)}, score, code, n).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("read rank: %w: %w", ErrUnavailable, err)
	}
	out := make([]Ranked, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		v, err := strconv.ParseFloat(res[i+1], 64)
		if err != nil {
			return nil, fmt.Errorf("read rank: %w: score %q", ErrUnavailable, res[i+1])
		}
		if v < 1 {
			break // the rest score no more: not ranked (InRank)
		}
		out = append(out, Ranked{Code: res[i], Scans: int64(v)})
	}
	return out, nil
}

// InRank reports which of codes the tenant's rank holds.
func (q *Querier) InRank(ctx context.Context, tenant string, codes []string) ([]bool, error) {
	out := make([]bool, len(codes))
	if len(codes) == 0 {
		return out, nil
	}
	scores, err := q.rdb.ZMScore(ctx, rankKey(tenant), codes...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read rank: %w: %w", ErrUnavailable, err)
	}
	// ZMSCORE answers nil for a member not there, which go-redis reads
	// as 0: a member is ranked with a score of 1 or more (RankPage leaves
	// out any other, so that each code is in one of the two lists).
	for i := range scores {
		out[i] = i < len(codes) && scores[i] > 0
	}
	return out, nil
}

// BackfillRank puts codes scanned before the rank existed in it with their
// all-time scans (GT: a count the writer got to first and that is higher
// stays). A scan written between the read of a total and the rank's update
// may be missed by the rank, never by the counters.
func (q *Querier) BackfillRank(ctx context.Context, tenant string, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	cmds := make([]*redis.StringCmd, len(codes))
	if _, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range codes {
			cmds[i] = p.HGet(ctx, totalKey(linkTag(c)), fieldScans)
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("read totals: %w: %w", ErrUnavailable, err)
	}
	var zs []redis.Z
	for i, c := range cmds {
		n, err := c.Int64()
		if err == nil && n > 0 {
			zs = append(zs, redis.Z{Score: float64(n), Member: codes[i]})
		}
	}
	if len(zs) == 0 {
		return nil
	}
	if err := q.rdb.ZAddGT(ctx, rankKey(tenant), zs...).Err(); err != nil {
		return fmt.Errorf("backfill rank: %w: %w", ErrUnavailable, err)
	}
	return nil
}
