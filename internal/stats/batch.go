package stats

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Names of the fields of a stream entry.
const (
	evTime     = "time" // Unix milliseconds
	evType     = "type"
	evCode     = "code"
	evTenant   = "tenant"
	evCampaign = "campaign"
	evPlatform = "platform"
	evOS       = "os"
	evChannel  = "channel"
	evCountry  = "country"
	evCity     = "city"
	evVisitor  = "visitor"
	evValue    = "value"
	evRegion   = "region"
	evRule     = "rule"
	evVariant  = "variant"
)

// maxCallArgs bounds a script call that packs several tags, so that no call
// keeps Redis from other clients (the scans' link lookups) for long.
const maxCallArgs = 4000

// call is one script call of a batch: the part of the batch that lives in
// one hash slot, or (single node) several such parts packed together.
type call struct {
	script *redis.Script
	source string // the script's body, for EVAL
	keys   []string
	args   []any
	tags   int   // how many marks the call carries (groups of tags, or tags)
	events int64 // how many events it counts, for the books when it is refused
	pooled bool  // args came from argsPool (releaseCalls)
	// eval sends the script's body (EVAL) rather than its hash: after
	// NOSCRIPT, from a restarted Redis or a promoted replica that has never
	// seen the script. EVAL also caches it there for the next batches.
	eval bool
}

// command lays the call out as one EVALSHA (or EVAL) command in buf.
func (c *call) command(buf []any) []any {
	if c.eval {
		buf = append(buf, "eval", c.source)
	} else {
		buf = append(buf, "evalsha", c.script.Hash())
	}
	buf = append(buf, len(c.keys))
	for _, k := range c.keys {
		buf = append(buf, k)
	}
	return append(buf, c.args...)
}

// argsPool holds argument slices: a call's, and the command exec makes
// of it, each some thousands of values, for every batch.
var argsPool = sync.Pool{New: func() any { return new([]any) }}

func getArgs() *[]any { return argsPool.Get().(*[]any) }

// putArgs returns a slice to the pool, emptied so that it holds nothing
// alive.
func putArgs(p *[]any) {
	clear(*p)
	*p = (*p)[:0]
	argsPool.Put(p)
}

// encoder lays a batch out as script calls: it sums the increments per key
// so that a thousand scans of one link become a few dozen HINCRBYs and one
// PFADD per visitor set. It belongs to the goroutine that applies batches.
type encoder struct {
	cfg      Config
	counters *redis.Script
	stream   *redis.Script
	now      func() time.Time
	pack     bool // several tags per script call: the client is not a Cluster's
	split    bool // with pack: one mark group per call, to isolate one Redis refuses

	tags    map[tagID]*tagOps // links and campaigns, in order of first use:
	order   []*tagOps
	free    []*tagOps // an earlier batch's, to reuse
	sorted  []*tagOps // byGroup's spare array
	buckets map[bucket]bucketTimes
	caps    []labelCap            // labelCaps(cfg)
	streams map[string]*streamOps // by tenant, in order of first use:
	tenants []*streamOps

	// The batch's records summed by what their counters depend on, in
	// order of first use: a thousand scans of one link from one app and
	// city are counted once, times a thousand. The tallies are kept from
	// batch to batch, with their visitor slices, to be reused. tallyOf
	// finds a tally by its key's hash (a map keyed by countKey itself, a
	// key too big to be stored in place, would allocate for every entry),
	// the next hash up on a collision.
	tallyOf map[uint64]int
	tallies []tally
	seed    maphash.Seed
	// The last record's bucket and the span of Unix milliseconds that
	// share it (same day and same hour), so that most records find their
	// bucket without a time zone conversion.
	spanLo, spanHi int64
	spanBk         bucket

	scratch []byte // a record's stream encoding
}

// streamOps are the entries a batch appends to one tenant's stream
// (streamcodec.go): full ones of maxEntryRecords events, then the open one,
// cur, while it holds fewer. Each entry has a buffer of its own, sized for
// a full entry, so that a batch's stream takes no copying as it grows.
type streamOps struct {
	tenant string
	full   [][]byte
	cur    []byte
	open   int // events in cur
	// ranks are the batch's scans by code, for the tenant's rank (keys.go).
	ranks  []rankInc
	rankAt map[string]int
}

type rankInc struct {
	code  string
	scans int64
}

// entryBytes is what a buffer starts with: a full entry of typical events.
const entryBytes = maxEntryRecords * 96

// entries returns the stream's entries, the open one included, and how
// many events each holds.
func (s *streamOps) entries() ([][]byte, []int) {
	out := s.full
	counts := make([]int, len(s.full), len(s.full)+1)
	for i := range counts {
		counts[i] = maxEntryRecords
	}
	if s.open > 0 {
		out = append(out, s.cur)
		counts = append(counts, s.open)
	}
	return out, counts
}

// encode returns the calls that apply b.
func (b *encoder) encode(bt *batch) []call {
	b.release()
	clear(b.streams)
	clear(b.tallyOf)
	b.tenants, b.tallies = b.tenants[:0], b.tallies[:0]
	for i := range bt.records {
		b.add(&bt.records[i])
	}
	for i := range b.tallies {
		t := &b.tallies[i]
		if t.key.typ == Scan {
			b.streams[t.key.tenant].rank(t.key.code, t.n)
		}
		b.count(tagID{code: t.key.code}, t)
		if t.key.campaign != "" {
			b.count(tagID{tenant: t.key.tenant, campaign: t.key.campaign}, t)
		}
	}
	return b.calls(bt)
}

// encodeSplit is encode with one mark group per call, to isolate a call
// Redis refuses.
func (b *encoder) encodeSplit(bt *batch) []call {
	b.split = true
	defer func() { b.split = false }()
	return b.encode(bt)
}

// add tallies r and appends it to its tenant's stream.
func (b *encoder) add(r *record) {
	key := countKey{typ: r.typ, bk: b.bucketOf(r.ms), code: r.code, tenant: r.tenant,
		campaign: r.campaign, platform: r.platform, os: r.os, channel: r.channel,
		country: r.country, region: r.region, city: r.city, rule: r.rule, variant: r.variant}
	h := maphash.Comparable(b.seed, key)
	i, ok := b.tallyOf[h]
	for ok && b.tallies[i].key != key {
		h++
		i, ok = b.tallyOf[h]
	}
	if !ok {
		i = len(b.tallies)
		if i < cap(b.tallies) {
			b.tallies = b.tallies[:i+1]
			vs := b.tallies[i].visitors[:0]
			b.tallies[i] = tally{key: key, visitors: vs}
		} else {
			b.tallies = append(b.tallies, tally{key: key})
		}
		b.tallyOf[h] = i
	}
	t := &b.tallies[i]
	t.n++
	t.value += r.value
	if r.typ == Scan {
		t.visitors = append(t.visitors, r.visitor)
	}
	s := b.streams[r.tenant]
	if s == nil {
		s = &streamOps{tenant: r.tenant}
		b.streams[r.tenant] = s
		b.tenants = append(b.tenants, s)
	}
	if s.open == 0 {
		s.cur = make([]byte, 0, entryBytes)
	}
	s.cur, b.scratch = appendEntryRecord(s.cur, b.scratch, r, s.open == 0)
	if s.open++; s.open == maxEntryRecords {
		s.full = append(s.full, s.cur)
		s.open = 0
	}
}

// rank adds n scans of code to the batch's rank increments.
func (s *streamOps) rank(code string, n int64) {
	if i, ok := s.rankAt[code]; ok {
		s.ranks[i].scans += n
		return
	}
	if s.rankAt == nil {
		s.rankAt = map[string]int{}
	}
	s.rankAt[code] = len(s.ranks)
	s.ranks = append(s.ranks, rankInc{code: code, scans: n})
}

// streamFields lists the fields of a stream entry as written before
// streamcodec.go, which is also the order of a spooled record's values
// (spoolcodec.go).
func streamFields() []string {
	return []string{evTime, evType, evCode, evTenant, evCampaign, evPlatform, evOS, evChannel,
		evCountry, evCity, evVisitor, evValue, evRegion, evRule, evVariant}
}
