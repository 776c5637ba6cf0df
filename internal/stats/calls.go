package stats

import (
	"strconv"
	"time"
)

// countersArgs are the arguments every counters call starts with: the
// batch, the mark's life and the caps on distinct labels (scripts.go).
func (b *encoder) countersArgs(seq, ttl string) []any {
	caps := labelCaps(b.cfg)
	args := make([]any, 0, 3+2*len(caps))
	args = append(args, seq, ttl, len(caps))
	for _, c := range caps {
		args = append(args, c.prefix, c.max)
	}
	return args
}

// calls lays the summed batch out as script calls (see scripts.go for the
// argument layout).
func (b *encoder) calls(bt *batch) []call {
	var calls []call
	s := strconv.FormatUint(bt.seq, 10)
	ttl := strconv.FormatInt(int64(b.cfg.DedupTTL/time.Second), 10)
	var c *call
	for _, t := range b.order {
		if c == nil || !b.pack || len(c.args) > maxCallArgs {
			calls = append(calls, call{script: b.counters, args: b.countersArgs(s, ttl)})
			c = &calls[len(calls)-1]
		}
		c.tags++
		c.events += t.events
		c.keys = append(c.keys, writerMarkKey(t.tag, bt.writer))
		c.args = append(c.args, len(t.order))
		for _, k := range t.order {
			c.keys = append(c.keys, k.key)
			if k.kind == "h" {
				c.args = append(c.args, "h", k.expireAt, len(k.incr))
				for _, in := range k.incr {
					c.args = append(c.args, in.prefix+in.name, in.n)
				}
				continue
			}
			c.args = append(c.args, "u", k.expireAt, len(k.visitors))
			for v := range k.visitors {
				c.args = append(c.args, v)
			}
		}
	}
	minID := strconv.FormatInt(max(0, b.now().Add(-b.cfg.StreamMaxAge).UnixMilli()), 10)
	for _, st := range b.tenants {
		keys := []string{writerMarkKey(eventsTag(st.tenant), bt.writer), streamKey(st.tenant)}
		entries := st.entries()
		args := make([]any, 0, 5+len(entries))
		args = append(args, s, ttl, maxEntries(b.cfg.StreamMaxLen, len(entries), st.records), minID, streamBatchField)
		for _, e := range entries {
			args = append(args, e)
		}
		calls = append(calls, call{script: b.stream, keys: keys, args: args, tags: 1})
	}
	return calls
}

// maxEntries turns Config.StreamMaxLen, a number of events, into the
// number of entries to trim a stream to, at the ratio of entries to events
// of the batch being written: a busy tenant's entries hold many events,
// a quiet one's few, and either way the stream keeps about StreamMaxLen
// events.
func maxEntries(maxEvents int64, entries, events int) int64 {
	if events == 0 {
		return maxEvents
	}
	return max(1, (maxEvents*int64(entries)+int64(events)-1)/int64(events))
}
