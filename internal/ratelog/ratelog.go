// Package ratelog decides when a condition that repeats (a failing
// dependency, a refused request) deserves another log line: at most one
// per interval, carrying how many occurrences were held back.
package ratelog

import (
	"sync"
	"time"
)

// Every allows one occurrence per Interval; the zero Interval allows all.
// It is safe for concurrent use.
type Every struct {
	Interval time.Duration

	mu   sync.Mutex
	last time.Time
	held int
}

// Allow reports whether an occurrence at now should be logged, and if so
// how many were held back since the last one that was.
func (e *Every) Allow(now time.Time) (held int, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.last.IsZero() && now.Sub(e.last) < e.Interval {
		e.held++
		return 0, false
	}
	held, e.held, e.last = e.held, 0, now
	return held, true
}
