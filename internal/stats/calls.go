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
		keys := []string{writerMarkKey(eventsTag(st.tenant), bt.writer), streamKey(st.tenant),
			streamIndexKey(st.tenant), streamCountKey(st.tenant)}
		entries, counts := st.entries()
		args := make([]any, 0, 5+2*len(entries))
		args = append(args, s, ttl, b.cfg.StreamMaxLen, minID, streamBatchField)
		for i, e := range entries {
			args = append(args, counts[i], e)
		}
		calls = append(calls, call{script: b.stream, keys: keys, args: args, tags: 1})
	}
	return calls
}
