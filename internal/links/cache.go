package links

import (
	"sync"
	"sync/atomic"
	"time"
)

// cache holds links by canonical code for the scan path. A nil link is a
// negative entry: the code is known not to exist, for a short time, so a
// flood of random codes does not become a flood of Redis reads.
//
// A positive entry is fresh for the cache TTL, then stale: a stale entry is
// still served (the scan path never waits for Redis on a cached code), and
// the first scan that finds it stale starts one background revalidation.
// While Redis is unreachable the revalidations fail and the entry keeps
// answering from its last known version, for as long as the outage lasts.
// Entries are dropped by the change feed (see feed.go), never because Redis
// went away. Negative entries simply expire.
type cache struct {
	// gen counts drops and clears. A read from Redis that started before
	// an invalidation must not be cached after it: putIfCurrent checks that
	// gen has not moved since the read began.
	gen atomic.Uint64

	mu      sync.RWMutex
	entries map[string]cacheEntry
	max     int
	ttl     time.Duration
	negTTL  time.Duration
}

type cacheEntry struct {
	link    *Link
	fresh   int64 // unix nanoseconds: fresh until then; a negative entry is gone after it
	retryAt int64 // unix nanoseconds: no revalidation starts before then
}

// lookupState says what the cache knows about a code.
type lookupState uint8

const (
	cacheMiss  lookupState = iota // nothing usable: read Redis
	cacheFresh                    // within the TTL
	cacheStale                    // a positive entry past its TTL: serve it, revalidate in the background
)

func newCache(max int, ttl, negTTL time.Duration) *cache {
	return &cache{entries: make(map[string]cacheEntry), max: max, ttl: ttl, negTTL: negTTL}
}

// get returns the cached link (nil for a negative entry) and its state.
func (c *cache) get(key string, now time.Time) (*Link, lookupState) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	return e.link, e.state(ok, now)
}

// getBytes is get for a key held in a byte slice; the map lookup converts
// it without allocating. It returns the whole entry, so that a stale hit
// can tell whether a revalidation is due without taking the lock again.
func (c *cache) getBytes(key []byte, now time.Time) (cacheEntry, lookupState) {
	c.mu.RLock()
	e, ok := c.entries[string(key)]
	c.mu.RUnlock()
	return e, e.state(ok, now)
}

func (e cacheEntry) state(ok bool, now time.Time) lookupState {
	switch {
	case !ok:
		return cacheMiss
	case now.UnixNano() < e.fresh:
		return cacheFresh
	case e.link == nil:
		return cacheMiss
	}
	return cacheStale
}

// claimRevalidation reports whether the caller should revalidate key now:
// true for one caller per backoff period, so that a busy stale link costs
// Redis one read per period however many scans it gets.
func (c *cache) claimRevalidation(key string, now time.Time, backoff time.Duration) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || e.link == nil || now.UnixNano() < e.retryAt {
		return false
	}
	e.retryAt = now.Add(backoff).UnixNano()
	c.entries[key] = e
	return true
}

func (c *cache) generation() uint64 { return c.gen.Load() }

// putIfCurrent stores l unless an invalidation happened since gen was read.
func (c *cache) putIfCurrent(key string, l *Link, now time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	c.putLocked(key, l, now)
}

func (c *cache) put(key string, l *Link, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(key, l, now)
}

func (c *cache) putLocked(key string, l *Link, now time.Time) {
	ttl := c.ttl
	if l == nil {
		ttl = c.negTTL
	}
	if ttl <= 0 || c.max <= 0 {
		return
	}
	if _, exists := c.entries[key]; !exists && len(c.entries) >= c.max {
		c.evictLocked(now)
	}
	c.entries[key] = cacheEntry{link: l, fresh: now.Add(ttl).UnixNano()}
}

// evictLocked makes room, one sixteenth of the cache at a time so eviction
// is rare: expired negative entries first, then any negative ones, then
// arbitrary links (Go's map order is random, which makes this a cheap
// random eviction). Stale links are not preferred: during an outage they
// are exactly what keeps printed codes answering.
func (c *cache) evictLocked(now time.Time) {
	n := now.UnixNano()
	target := c.max - c.max/16 - 1
	for k, e := range c.entries {
		if e.link == nil && n >= e.fresh {
			delete(c.entries, k)
		}
	}
	for k, e := range c.entries {
		if len(c.entries) <= target {
			return
		}
		if e.link == nil {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) <= target {
			return
		}
		delete(c.entries, k)
	}
}

func (c *cache) drop(key string) {
	c.mu.Lock()
	c.gen.Add(1)
	delete(c.entries, key)
	c.mu.Unlock()
}

// snapshot returns the cached codes with their links (nil for negative
// entries), for revalidation after the change feed lost its place.
func (c *cache) snapshot() map[string]*Link {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make(map[string]*Link, len(c.entries))
	for k, e := range c.entries {
		out[k] = e.link
	}
	return out
}

// revalidated applies what a revalidation read: for each code, the link
// now stored (nil: deleted or unknown). A code whose entry changed since
// the snapshot (seen holds what the snapshot had) is left alone: something
// newer already handled it.
func (c *cache) revalidated(seen, now map[string]*Link, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, old := range seen {
		e, ok := c.entries[key]
		if !ok || e.link != old {
			continue
		}
		l := now[key]
		if l == nil {
			c.gen.Add(1)
			delete(c.entries, key)
			continue
		}
		if old != nil && sameVersion(old, l) {
			l = old // keep the pointer: pages are cached per link value
		} else {
			c.gen.Add(1) // a read of the older version still in flight must not land after this
		}
		c.entries[key] = cacheEntry{link: l, fresh: at.Add(c.ttl).UnixNano()}
	}
}

func sameVersion(a, b *Link) bool {
	return a.UpdatedAt.Equal(b.UpdatedAt) && a.MadeRev == b.MadeRev && a.Tenant == b.Tenant && a.CreatedAt.Equal(b.CreatedAt) &&
		(a.DeletedAt == nil) == (b.DeletedAt == nil)
}

func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
