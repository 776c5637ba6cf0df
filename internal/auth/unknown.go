package auth

import (
	"sync"
	"time"
)

// recentHashes remembers key hashes for ttl each, within a bound: beyond
// maxRecentHashes it starts again rather than grow.
//
// The Store keeps two. Unknown ones, so that a flood of requests with a
// made-up key costs no Redis read each: a secret is 256 random bits, so one
// tried and unknown becomes a key only if that very key is made (or
// imported) later, and then this instance refuses it for at most
// unknownFor. And good ones, so that an address blocked for failed
// attempts still lets a working key through (KnownGood): that only skips
// the block; the key is looked up as always, so a revoked one fails at once.
type recentHashes struct {
	ttl     time.Duration
	mu      sync.Mutex
	entries map[string]time.Time // hash → until
}

const (
	unknownFor      = 30 * time.Second
	goodFor         = 10 * time.Minute
	maxRecentHashes = 100_000
)

func (r *recentHashes) has(hash string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.entries[hash]
	return ok && now.Before(until)
}

func (r *recentHashes) add(hash string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.entries == nil || len(r.entries) >= maxRecentHashes {
		r.entries = make(map[string]time.Time)
	}
	r.entries[hash] = now.Add(r.ttl)
}
