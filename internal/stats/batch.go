package stats

import (
	"strconv"
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
)

// maxCallArgs bounds a script call that packs several tags, so that no call
// keeps Redis from other clients (the scans' link lookups) for long.
const maxCallArgs = 4000

// call is one script call of a batch: the part of the batch that lives in
// one hash slot, or (single node) several such parts packed together.
type call struct {
	script *redis.Script
	keys   []string
	args   []any
	tags   int   // how many hash tags the call carries (its marks)
	events int64 // how many events it counts, for the books when it is refused
	// eval sends the script's body (EVAL) rather than its hash: after
	// NOSCRIPT, from a restarted Redis or a promoted replica that has never
	// seen the script. EVAL also caches it there for the next batches.
	eval bool
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

	tags    map[tagID]*tagOps // links and campaigns, in order of first use:
	order   []*tagOps
	streams map[string]*streamOps // by tenant, in order of first use:
	tenants []*streamOps
}

// tagID names a link (code) or a campaign (tenant and campaign).
type tagID struct{ code, tenant, campaign string }

// tagOps is what a batch does to the keys of one hash tag.
type tagOps struct {
	tag     string
	events  int64
	keys    map[string]*keyOps
	order   []*keyOps
	total   *keyOps
	buckets map[bucket]bucketOps // saves building key names for every event
}

// bucket is a day of Config.Timezone and a UTC hour (Unix seconds) in it.
type bucket struct {
	day  Date
	hour int64
}

type bucketOps struct{ day, hour, dayVisitors, hourVisitors *keyOps }

// field is a counter hash field, prefix+name, kept apart until encoding.
type field struct{ prefix, name string }

type keyOps struct {
	key      string
	kind     string // "h" hash increments, "u" visitor set
	expireAt int64  // Unix seconds; 0 never
	incr     []increment
	visitors map[string]struct{}
}

// increment is one HINCRBY. A hash gets a dozen distinct fields or so in a
// batch: a slice searched in order is cheaper than a map.
type increment struct {
	field
	n int64
}

type streamOps struct {
	tenant string
	values []any
}

// encode returns the calls that apply b.
func (b *encoder) encode(bt *batch) []call {
	clear(b.tags)
	clear(b.streams)
	b.order, b.tenants = b.order[:0], b.tenants[:0]
	for i := range bt.records {
		b.add(&bt.records[i])
	}
	return b.calls(bt)
}

// encodeUnpacked is encode with one tag per call, to isolate a call Redis
// refuses.
func (b *encoder) encodeUnpacked(bt *batch) []call {
	pack := b.pack
	b.pack = false
	defer func() { b.pack = pack }()
	return b.encode(bt)
}

func (b *encoder) add(r *record) {
	t := time.UnixMilli(r.ms)
	day := DateOf(t.In(b.cfg.Timezone))
	bk := bucket{day, t.UTC().Truncate(time.Hour).Unix()}
	b.count(tagID{code: r.code}, r, bk)
	if r.campaign != "" {
		b.count(tagID{tenant: r.tenant, campaign: r.campaign}, r, bk)
	}
	s := b.streams[r.tenant]
	if s == nil {
		s = &streamOps{tenant: r.tenant}
		b.streams[r.tenant] = s
		b.tenants = append(b.tenants, s)
	}
	s.values = append(s.values,
		strconv.FormatInt(r.ms, 10), r.typ.String(), r.code, r.tenant, r.campaign,
		r.platform, r.os, r.channel, r.country, r.city, r.visitor, strconv.FormatInt(r.value, 10))
}

// streamFields lists the stream fields in the order add appends their values.
func streamFields() []string {
	return []string{evTime, evType, evCode, evTenant, evCampaign, evPlatform, evOS, evChannel,
		evCountry, evCity, evVisitor, evValue}
}

// count adds r to the counters of one link or campaign.
func (b *encoder) count(id tagID, r *record, bk bucket) {
	ops := b.tags[id]
	if ops == nil {
		tag := linkTag(id.code)
		if id.campaign != "" {
			tag = campaignTag(id.tenant, id.campaign)
		}
		ops = &tagOps{tag: tag, keys: make(map[string]*keyOps), buckets: make(map[bucket]bucketOps)}
		ops.total = ops.key(totalKey(tag), "h", 0)
		b.tags[id] = ops
		b.order = append(b.order, ops)
	}
	k, ok := ops.buckets[bk]
	if !ok {
		k = b.bucketKeys(ops, bk)
		ops.buckets[bk] = k
	}
	if id.code != "" {
		ops.events++ // an event is lost if its link's counters are
	}
	switch r.typ {
	case Scan:
		ops.total.add(field{fieldScans, ""}, 1) // all-time totals keep counts only
		for _, h := range [...]*keyOps{k.day, k.hour} {
			h.add(field{fieldScans, ""}, 1)
			h.add(field{prefixPlatform, dimension(r.platform)}, 1)
			h.add(field{prefixOS, dimension(r.os)}, 1)
			h.add(field{prefixChannel, dimension(r.channel)}, 1)
			if r.country != "" {
				h.add(field{prefixCountry, r.country}, 1)
			}
			if r.city != "" {
				h.add(field{prefixCity, r.city}, 1)
			}
		}
		k.dayVisitors.visit(r.visitor)
		k.hourVisitors.visit(r.visitor)
	case Open:
		for _, h := range [...]*keyOps{k.day, k.hour, ops.total} {
			h.add(field{fieldOpens, ""}, 1)
		}
	case Conversion:
		for _, h := range [...]*keyOps{k.day, k.hour, ops.total} {
			h.add(field{fieldConversions, ""}, 1)
			h.add(field{fieldConvValue, ""}, r.value)
		}
	}
}

// bucketKeys finds or creates the keys of a day and hour; each expires
// Retention (HourlyRetention) after the end of its day (hour).
func (b *encoder) bucketKeys(ops *tagOps, bk bucket) bucketOps {
	hour := time.Unix(bk.hour, 0).UTC()
	dayExp := bk.day.AddDays(1).Start(b.cfg.Timezone).Add(b.cfg.Retention).Unix()
	hourExp := hour.Add(time.Hour + b.cfg.HourlyRetention).Unix()
	return bucketOps{
		day:          ops.key(dayKey(ops.tag, bk.day), "h", dayExp),
		hour:         ops.key(hourKey(ops.tag, hour), "h", hourExp),
		dayVisitors:  ops.key(dayVisitorsKey(ops.tag, bk.day), "u", dayExp),
		hourVisitors: ops.key(hourVisitorsKey(ops.tag, hour), "u", hourExp),
	}
}

func (t *tagOps) key(key, kind string, expireAt int64) *keyOps {
	k := t.keys[key]
	if k == nil {
		k = &keyOps{key: key, kind: kind, expireAt: expireAt}
		t.keys[key] = k
		t.order = append(t.order, k)
	}
	return k
}

func (k *keyOps) add(f field, n int64) {
	for i := range k.incr {
		if k.incr[i].field == f {
			k.incr[i].n += n
			return
		}
	}
	k.incr = append(k.incr, increment{f, n})
}

func (k *keyOps) visit(id string) {
	if k.visitors == nil {
		k.visitors = make(map[string]struct{})
	}
	k.visitors[id] = struct{}{}
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
			calls = append(calls, call{script: b.counters, args: []any{s, ttl, b.cfg.MaxCities}})
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
	fields := streamFields()
	for _, st := range b.tenants {
		keys := []string{writerMarkKey(eventsTag(st.tenant), bt.writer), streamKey(st.tenant)}
		args := make([]any, 0, 5+len(fields)+len(st.values))
		args = append(args, s, ttl, b.cfg.StreamMaxLen, minID, len(fields))
		for _, f := range fields {
			args = append(args, f)
		}
		args = append(args, st.values...)
		calls = append(calls, call{script: b.stream, keys: keys, args: args, tags: 1})
	}
	return calls
}
