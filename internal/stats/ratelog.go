package stats

import "time"

// reportDrops logs the events dropped since the last report, at most once
// per LogInterval unless final: Record runs on the request path and must
// not log.
func (r *Recorder) reportDrops(final bool) {
	r.dropsMu.Lock()
	defer r.dropsMu.Unlock()
	if n, ok := r.drops.due(time.Now(), r.dropped.Load(), final); ok {
		r.log.Warn("stats: events dropped: the queue was full, or the spool full or off while Redis could not take them",
			"dropped", n, "dropped_total", r.dropped.Load(), "queue_cap", r.cfg.QueueSize, "spool", r.cfg.SpoolDir)
	}
}

// rateLog decides when a repeated condition deserves another log line: at
// most once per interval, carrying the count since the last line.
type rateLog struct {
	interval time.Duration
	last     time.Time
	logged   int64 // the total at the last line
}

// due reports whether to log now, and how much total grew since the last
// line; force ignores the interval.
func (l *rateLog) due(now time.Time, total int64, force bool) (int64, bool) {
	if total <= l.logged || (!force && !l.last.IsZero() && now.Sub(l.last) < l.interval) {
		return 0, false
	}
	n := total - l.logged
	l.last, l.logged = now, total
	return n, true
}
