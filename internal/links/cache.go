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
// Entries are dropped by pub/sub invalidation (see Store.Listen) and expire
// after a safety TTL in case an invalidation is lost.
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
	expires int64 // unix nanoseconds
}

func newCache(max int, ttl, negTTL time.Duration) *cache {
	return &cache{entries: make(map[string]cacheEntry), max: max, ttl: ttl, negTTL: negTTL}
}

// get returns the cached link (nil for a negative entry) and whether a
// fresh entry was found.
func (c *cache) get(key string, now time.Time) (*Link, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok || now.UnixNano() >= e.expires {
		return nil, false
	}
	return e.link, true
}

// getBytes is get for a key held in a byte slice; the map lookup converts
// it without allocating.
func (c *cache) getBytes(key []byte, now time.Time) (*Link, bool) {
	c.mu.RLock()
	e, ok := c.entries[string(key)]
	c.mu.RUnlock()
	if !ok || now.UnixNano() >= e.expires {
		return nil, false
	}
	return e.link, true
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
	c.entries[key] = cacheEntry{link: l, expires: now.Add(ttl).UnixNano()}
}

// evictLocked makes room: expired entries first, then arbitrary ones (Go's
// map order is random, which makes this a cheap random eviction), one
// sixteenth of the cache at a time so eviction is rare.
func (c *cache) evictLocked(now time.Time) {
	n := now.UnixNano()
	for k, e := range c.entries {
		if n >= e.expires {
			delete(c.entries, k)
		}
	}
	target := c.max - c.max/16 - 1
	for k := range c.entries {
		if len(c.entries) <= target {
			break
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

func (c *cache) clear() {
	c.mu.Lock()
	c.gen.Add(1)
	clear(c.entries)
	c.mu.Unlock()
}

func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
