package httpapi

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// limiter is a token bucket per client address. Buckets are spread over
// shards so that concurrent scans rarely share a lock, and a client already
// seen costs no allocation.
type limiter struct {
	rate   float64 // tokens per second
	burst  float64
	shards [64]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   int64 // unix nanoseconds
}

// maxBucketsPerShard bounds memory under a flood of distinct addresses
// (64 shards × 16,384 ≈ 1M clients); beyond it, idle buckets are dropped.
const maxBucketsPerShard = 16384

// newLimiter allows rate requests per second with bursts of burst; a rate
// of 0 or less means no limit (nil).
func newLimiter(rate, burst float64) *limiter {
	if rate <= 0 {
		return nil
	}
	l := &limiter{rate: rate, burst: math.Max(burst, 1)}
	for i := range l.shards {
		l.shards[i].buckets = make(map[string]*bucket)
	}
	return l
}

// allow takes a token for key, or says how long until one is available.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	sh := &l.shards[fnv32(key)%uint32(len(l.shards))]
	n := now.UnixNano()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		if len(sh.buckets) >= maxBucketsPerShard {
			l.sweep(sh, n)
		}
		b = &bucket{tokens: l.burst, last: n}
		sh.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+float64(n-b.last)/1e9*l.rate)
	b.last = n
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * 1e9)
}

// sweep drops buckets that have refilled completely: forgetting them
// changes nothing. If all are busy, the oldest half goes.
func (l *limiter) sweep(sh *limiterShard, now int64) {
	full := int64(l.burst / l.rate * 1e9)
	for k, b := range sh.buckets {
		if now-b.last >= full {
			delete(sh.buckets, k)
		}
	}
	for k := range sh.buckets {
		if len(sh.buckets) < maxBucketsPerShard/2 {
			break
		}
		delete(sh.buckets, k)
	}
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// rateLimit refuses a client over its limit with 429 and Retry-After.
func (s *Server) rateLimit(l *limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if l == nil {
			return next
		}
		return func(c echo.Context) error {
			ok, wait := l.allow(c.RealIP(), s.now())
			if !ok {
				secs := int(math.Ceil(wait.Seconds()))
				c.Response().Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
				return errRateLimited
			}
			return next(c)
		}
	}
}
