package stats

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// countersArgs are the arguments every counters call starts with: the
// batch, the mark's life and the caps on distinct labels (scripts.go).
func (b *encoder) countersArgs(seq, ttl string) []any {
	caps := labelCaps(b.cfg)
	args := make([]any, 0, 4+2*len(caps))
	args = append(args, seq, ttl, b.cfg.MaxCombinations, len(caps))
	for _, c := range caps {
		args = append(args, c.prefix, c.max)
	}
	return args
}

// markGroups is how many marks a batch sets on a single node: the tags of
// a batch are spread over this many groups by name, each applied and
// marked as one (scripts.go). One mark per tag cost a command per event
// when every event is for a different link.
const markGroups = 256

// markGroup is the group of a tag, the same in every batch.
func markGroup(tag string) uint32 {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(tag); i++ {
		h = (h ^ uint32(tag[i])) * 16777619
	}
	return h % markGroups
}

// calls lays the summed batch out as script calls (see scripts.go for the
// argument layout). With a Cluster client every tag is a group of its own,
// marked in its own slot, one per call. On a single node the tags go by
// group, with a mark per group, several groups to a call (one, to find a
// group Redis refuses, after split); a group is never cut in two, since its
// mark says the whole group is applied.
func (b *encoder) calls(bt *batch) []call {
	var calls []call
	s := strconv.FormatUint(bt.seq, 10)
	ttl := strconv.FormatInt(int64(b.cfg.DedupTTL/time.Second), 10)
	if b.pack {
		slices.SortStableFunc(b.order, func(x, y *tagOps) int { return cmp.Compare(x.group, y.group) })
	}
	caps := labelCaps(b.cfg)
	var c *call
	var nkeys int // the data keys of the open group, in its mark's count
	for i, t := range b.order {
		newGroup := i == 0 || !b.pack || t.group != b.order[i-1].group
		if newGroup && (c == nil || !b.pack || b.split || len(c.args) > maxCallArgs) {
			calls = append(calls, call{script: b.counters, args: b.countersArgs(s, ttl)})
			c = &calls[len(calls)-1]
		}
		if newGroup {
			mark := writerMarkKey(t.tag, bt.writer)
			if b.pack {
				mark = groupMarkKey(bt.writer, t.group)
			}
			c.tags++
			c.keys = append(c.keys, mark)
			c.args = append(c.args, 0)
			nkeys = len(c.args) - 1
		}
		c.events += t.events
		c.args[nkeys] = c.args[nkeys].(int) + len(t.order)
		for _, k := range t.order {
			c.keys = append(c.keys, k.key)
			k.pos = len(c.keys)
			if k.kind == "h" {
				c.args = appendHashArgs(c.args, k, caps)
				continue
			}
			ref := 0
			if k.tie != nil {
				ref = k.tie.pos
			}
			c.args = append(c.args, "u", k.expireAt, ref, len(k.visitors))
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

// appendHashArgs lays out the increments of a counter hash: its plain
// fields, then those of each capped prefix (scripts.go).
func appendHashArgs(args []any, k *keyOps, caps []labelCap) []any {
	np := len(args) + 3
	args = append(args, "h", k.expireAt, 0)
	plain := 0
	for _, in := range k.incr {
		if capOf(in.prefix, caps) < 0 {
			args = append(args, in.prefix+in.name, in.n)
			plain++
		}
	}
	args[np-1] = plain
	args = append(args, len(k.combos))
	for _, c := range k.combos {
		args = append(args, c.field, c.n, c.folded)
	}
	ng := len(args)
	args = append(args, 0)
	groups := 0
	for _, lc := range caps {
		nf := -1
		for _, in := range k.incr {
			if in.prefix != lc.prefix {
				continue
			}
			if nf < 0 {
				args = append(args, lc.prefix, 0)
				nf = len(args) - 1
				groups++
			}
			args = append(args, in.prefix+in.name, in.n)
			args[nf] = args[nf].(int) + 1
		}
	}
	args[ng] = groups
	return args
}

// capOf is the index of prefix among the capped ones, or -1.
func capOf(prefix string, caps []labelCap) int {
	for i, c := range caps {
		if c.prefix == prefix {
			return i
		}
	}
	return -1
}
