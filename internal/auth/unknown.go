package auth

import (
	"sync"
	"time"
)

// unknownKeys remembers, for a while, the hashes of secrets that are no
// key, so that a flood of requests with a made-up key costs no Redis read
// each. A secret is 256 random bits: one tried and unknown becomes a key
// only if that very key is made (or imported) later, and then this
// instance refuses it for at most unknownFor.
type unknownKeys struct {
	mu      sync.Mutex
	entries map[string]time.Time // hash → until
}

const (
	unknownFor     = 30 * time.Second
	maxUnknownKeys = 100_000
)

func (u *unknownKeys) has(hash string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	until, ok := u.entries[hash]
	return ok && now.Before(until)
}

func (u *unknownKeys) add(hash string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.entries == nil || len(u.entries) >= maxUnknownKeys {
		// A flood of distinct made-up keys: start again rather than grow.
		u.entries = make(map[string]time.Time)
	}
	u.entries[hash] = now.Add(unknownFor)
}

// goodKeys remembers, for a while, the hashes of secrets that
// authenticated, so that an address blocked for failed attempts still lets
// a working key through (KnownGood). It only skips that block: the key is
// looked up as always, so a revoked one fails at once.
type goodKeys struct {
	mu      sync.Mutex
	entries map[string]time.Time // hash → until
}

const goodFor = 10 * time.Minute

func (g *goodKeys) has(hash string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	until, ok := g.entries[hash]
	return ok && now.Before(until)
}

func (g *goodKeys) add(hash string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.entries == nil || len(g.entries) >= maxUnknownKeys {
		g.entries = make(map[string]time.Time)
	}
	g.entries[hash] = now.Add(goodFor)
}
