package stats

import (
	"slices"
	"strconv"
	"time"
)

// Exactly once, in Redis Cluster too.
//
// A batch is split by hash tag: the counters of each link and each campaign
// it touches, and the stream of each tenant. Every key of a tag shares the
// tag, so one script run per tag touches a single slot, as Cluster requires
// of a script, and applies its part of the batch atomically. All the script
// calls of a batch go in one pipeline: one round trip (one per node in
// Cluster). With a single-node client (*redis.Client, Sentinel included),
// where a script may touch any key, one call carries many tags, up to
// maxCallArgs arguments: fewer calls cost Redis a quarter less when a batch
// touches many links, and each call still stays short.
//
// For each tag (on a single node, for each group of tags: markGroup), a
// script first checks and sets a mark in the tag's slot, sg:{TAG}:w:WRITER
// (sg:w:WRITER:GROUP), holding the sequence number of the last batch that
// writer applied to it. A writer is one Recorder (a random id per
// process), and it applies its batches one at a time, in order, retrying a
// batch until it succeeds before it takes the next. So "seq <= mark" means
// "already applied": a retry after a timeout, a lost reply, a dropped
// connection or a Redis restart (with the append-only file, the mark and the
// increments are persisted together, as they come from one script) skips
// the tags that did apply and applies the rest. This is a batch-id SET NX
// whose memory is one small key per (tag, writer) instead of one per (tag,
// batch): a busy link sees tens of batches a second.
//
// The mark expires after Config.DedupTTL; the writer gives up on a batch
// that has failed for half that long, so a mark never expires while a retry
// of its batch may still come.
//
// The scripts are run with EVALSHA; a call that meets NOSCRIPT (a restarted
// Redis, or a promoted replica, has an empty script cache) is sent again at
// once as EVAL, which carries the body and caches it for later batches.

// countersCall starts a counters call with the arguments every one takes:
// the batch, the mark's life and the caps on distinct labels (scripts.go).
func (b *encoder) countersCall(seq, ttl string, pack bool) call {
	c := call{script: b.counters, source: countersLua}
	if pack {
		// The call closes past maxCallArgs, at the end of a group: room
		// for that and a group, so that the slice seldom grows as it
		// fills. The applier gives it back to the pool (releaseCalls).
		c.args = *getArgs()
		if cap(c.args) < maxCallArgs+maxCallArgs/2 {
			c.args = make([]any, 0, maxCallArgs+maxCallArgs/2)
		}
		c.keys = make([]string, 0, maxCallArgs/2)
		c.pooled = true
	}
	c.args = append(c.args, seq, ttl, b.cfg.MaxCombinations, b.cfg.MaxCities, len(b.caps))
	for _, lc := range b.caps {
		c.args = append(c.args, lc.prefix, lc.max)
	}
	return c
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
	// A batch keeps the marks it was first tried under: an earlier
	// release's, or a Cluster's, were per tag.
	pack := b.pack && !(bt.tried && bt.tagMarks)
	bt.tagMarks = !pack
	if pack {
		b.order = b.byGroup(b.order)
	}
	clear(b.buckets)
	var c *call
	var ntags int // the index in c.args of the open group's tag count
	for i, t := range b.order {
		newGroup := i == 0 || !pack || t.group != b.order[i-1].group
		if newGroup && (c == nil || !pack || b.split || len(c.args) > maxCallArgs) {
			calls = append(calls, b.countersCall(s, ttl, pack))
			c = &calls[len(calls)-1]
		}
		if newGroup {
			mark := writerMarkKey(t.tag, bt.writer)
			if pack {
				mark = groupMarkKey(bt.writer, t.group)
			}
			c.tags++
			c.keys = append(c.keys, mark)
			c.args = append(c.args, 0)
			ntags = len(c.args) - 1
		}
		c.args[ntags] = c.args[ntags].(int) + 1
		c.events += t.events
		b.appendTag(c, t)
	}
	minID := strconv.FormatInt(max(0, b.now().Add(-b.cfg.StreamMaxAge).UnixMilli()), 10)
	for _, st := range b.tenants {
		keys := []string{writerMarkKey(eventsTag(st.tenant), bt.writer), streamKey(st.tenant),
			streamIndexKey(st.tenant), streamCountKey(st.tenant), rankKey(st.tenant)}
		entries, counts := st.entries()
		args := make([]any, 0, 6+2*len(st.ranks)+2*len(entries))
		args = append(args, s, ttl, b.cfg.StreamMaxLen, minID, streamBatchField, len(st.ranks))
		for _, r := range st.ranks {
			args = append(args, r.code, r.scans)
		}
		for i, e := range entries {
			args = append(args, counts[i], e)
		}
		calls = append(calls, call{script: b.stream, source: streamLua, keys: keys, args: args, tags: 1})
	}
	return calls
}

// appendTag lays out the keys and arguments of one tag (scripts.go).
func (b *encoder) appendTag(c *call, t *tagOps) {
	c.keys = append(c.keys, totalKey(t.tag))
	c.args = append(c.args, len(t.buckets), len(t.variants), 0)
	np := len(c.args) - 1
	for i, n := range t.total {
		if n != 0 {
			c.args = append(c.args, totalFields[i], n)
			c.args[np] = c.args[np].(int) + 1
		}
	}
	for i := range t.buckets {
		bo := &t.buckets[i]
		bi := b.bucketInfo(bo.bk)
		c.keys = appendBucketKeys(c.keys, t.tag, bi)
		c.args = append(c.args, bi.dayExp, bi.hourExp, len(bo.combos))
		for _, in := range bo.combos {
			c.args = append(c.args, in.name, in.n)
		}
		bo.visitors = distinct(bo.visitors)
		c.args = append(c.args, len(bo.visitors))
		for _, v := range bo.visitors {
			c.args = append(c.args, v)
		}
		c.args = append(c.args, 0)
		np := len(c.args) - 1
		for i, n := range bo.plain {
			if n != 0 {
				c.args = append(c.args, bucketFields[i], n)
				c.args[np] = c.args[np].(int) + 1
			}
		}
		c.args = appendLabels(c.args, bo.labels, b.caps)
	}
	for i := range t.variants {
		v := &t.variants[i]
		c.keys = append(c.keys, variantVisitorsKey(t.tag, v.variant, v.day))
		v.visitors = distinct(v.visitors)
		c.args = append(c.args, b.bucketInfo(bucket{day: v.day}).dayExp, len(v.visitors))
		for _, id := range v.visitors {
			c.args = append(c.args, id)
		}
	}
}

// bucketTimes is what the keys of a day and hour are named and expire by.
type bucketTimes struct {
	day, hour       string // 20261124, 2026112408
	dayExp, hourExp string // Unix seconds: Retention (HourlyRetention) after the end of the day (hour)
}

// bucketInfo computes (once a batch) the names and expiries of a bucket's
// keys. With only a day, the hour's are left empty.
func (b *encoder) bucketInfo(bk bucket) bucketTimes {
	if bi, ok := b.buckets[bk]; ok {
		return bi
	}
	bi := bucketTimes{
		day:    bk.day.compact(),
		dayExp: strconv.FormatInt(bk.day.AddDays(1).Start(b.cfg.Timezone).Add(b.cfg.Retention).Unix(), 10),
	}
	if bk.hour != 0 {
		hour := time.Unix(bk.hour, 0).UTC()
		bi.hour = compactHour(hour)
		bi.hourExp = strconv.FormatInt(hour.Add(time.Hour+b.cfg.HourlyRetention).Unix(), 10)
	}
	b.buckets[bk] = bi
	return bi
}

// appendLabels lays out the capped fields of a bucket, by prefix.
func appendLabels(args []any, labels []increment, caps []labelCap) []any {
	ng := len(args)
	args = append(args, 0)
	groups := 0
	for _, lc := range caps {
		nf := -1
		for _, in := range labels {
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

// releaseCalls gives the argument slices of a batch's calls back to the
// pool, once nothing will send them again.
func releaseCalls(calls []call) {
	for i := range calls {
		if calls[i].pooled {
			p := new([]any)
			*p = calls[i].args
			putArgs(p)
			calls[i].args = nil
		}
	}
}

// byGroup orders tags by mark group, keeping their order within a group
// (a counting sort: a batch has up to some ten thousand tags).
func (b *encoder) byGroup(order []*tagOps) []*tagOps {
	var start [markGroups + 1]int
	for _, t := range order {
		start[t.group+1]++
	}
	for g := 1; g <= markGroups; g++ {
		start[g] += start[g-1]
	}
	out := slices.Grow(b.sorted[:0], len(order))[:len(order)]
	for _, t := range order {
		out[start[t.group]] = t
		start[t.group]++
	}
	b.sorted = order // the old order's array, for the next batch
	return out
}
