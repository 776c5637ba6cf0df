package httpapi

import (
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// limiter is a token bucket per key: a client address (addrLimiter), or a
// link code. Buckets are spread over shards so that concurrent scans
// rarely share a lock, and a key already seen costs no allocation.
type limiter[K comparable] struct {
	rate   float64 // tokens per second
	burst  float64
	hash   func(K) uint32
	shards [64]limiterShard[K]
}

type limiterShard[K comparable] struct {
	mu        sync.Mutex
	buckets   map[K]*bucket
	lastSweep int64 // unix nanoseconds
}

// addrLimiter limits per client address (clientKey).
type addrLimiter = limiter[netip.Addr]

type bucket struct {
	tokens float64
	last   int64 // unix nanoseconds
}

// maxBucketsPerShard bounds memory under a flood of distinct addresses
// (64 shards × 16,384 ≈ 1M clients); beyond it, idle buckets are dropped.
const maxBucketsPerShard = 16384

// newLimiter allows rate requests per second per key with bursts of
// burst, spreading keys over shards by hash; a rate of 0 or less means no
// limit (nil, which allows everything).
func newLimiter[K comparable](rate, burst float64, hash func(K) uint32) *limiter[K] {
	if rate <= 0 {
		return nil
	}
	l := &limiter[K]{rate: rate, burst: math.Max(burst, 1), hash: hash}
	for i := range l.shards {
		l.shards[i].buckets = make(map[K]*bucket)
	}
	return l
}

// allow takes a token for key, or says how long until one is available.
func (l *limiter[K]) allow(key K, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	sh := &l.shards[l.hash(key)%uint32(len(l.shards))]
	n := now.UnixNano()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		if len(sh.buckets) >= maxBucketsPerShard && n-sh.lastSweep >= int64(time.Second) {
			// At most once a second: under a flood of fresh addresses a
			// sweep per request would hold the lock for a full scan each.
			sh.lastSweep = n
			l.sweep(sh, n)
		}
		if len(sh.buckets) >= maxBucketsPerShard {
			// Every tracked client is mid-burst. Forgetting one would reset
			// a client being throttled, so the newcomer goes untracked: a
			// flood of fresh addresses is no per-address limit's to stop.
			return true, 0
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

// blocked reports, without taking a token, whether key has none left, and
// how long until it has one.
func (l *limiter[K]) blocked(key K, now time.Time) (bool, time.Duration) {
	if l == nil {
		return false, 0
	}
	sh := &l.shards[l.hash(key)%uint32(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		return false, 0
	}
	tokens := math.Min(l.burst, b.tokens+float64(now.UnixNano()-b.last)/1e9*l.rate)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) / l.rate * 1e9)
}

// sweep drops buckets that have refilled completely: forgetting them
// changes nothing.
func (l *limiter[K]) sweep(sh *limiterShard[K], now int64) {
	full := int64(l.burst / l.rate * 1e9)
	for k, b := range sh.buckets {
		if now-b.last >= full {
			delete(sh.buckets, k)
		}
	}
}

// clientKey is what the limiter counts by: the address, or for IPv6 its
// /64, since one subscriber is usually given a whole /64 to pick from.
func clientKey(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// shardOf spreads addresses over the shards (FNV-1a of the 16 bytes).
func shardOf(a netip.Addr) uint32 {
	h := uint32(2166136261)
	for _, b := range a.As16() {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}

// shardOfString spreads strings over the shards (FNV-1a).
func shardOfString(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// setRetryAfter tells the client to retry in d, in whole seconds rounded
// up (at least 1).
func setRetryAfter(c echo.Context, d time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(d.Seconds())), 1)))
}

// rateLimit refuses a client over its limit with 429 and Retry-After.
func (s *Server) rateLimit(l *addrLimiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if l == nil {
			return next
		}
		return func(c echo.Context) error {
			ok, wait := l.allow(clientKey(s.clientIP(c)), s.now())
			if !ok {
				setRetryAfter(c, wait)
				return errRateLimited
			}
			return next(c)
		}
	}
}
