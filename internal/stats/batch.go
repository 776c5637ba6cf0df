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
	evUA       = "ua"
	evValue    = "value"
)

// call is one script call of a batch: the part of the batch that lives in one
// hash slot.
type call struct {
	script *redis.Script
	keys   []string
	args   []any
}

// batch is a set of events ready to write: the calls that apply it and how
// many events it carries.
type batch struct {
	seq    uint64
	events int
	calls  []call
}

// builder turns events into a batch: it looks up geography, hashes
// visitors, and sums the increments per key, so that a thousand scans of
// one link become a few dozen HINCRBYs and one PFADD per visitor set.
// It belongs to the writer goroutine.
type builder struct {
	cfg      Config
	writer   string
	geo      *GeoIP
	visitors *visitorHasher
	counters *redis.Script
	stream   *redis.Script
	now      func() time.Time

	tags    map[string]*tagOps // by hash tag, in order of first use:
	order   []*tagOps
	streams map[string]*streamOps // by tenant
	tenants []*streamOps
}

// tagOps is what a batch does to the keys of one hash tag.
type tagOps struct {
	tag   string
	keys  map[string]*keyOps
	order []*keyOps
}

type keyOps struct {
	key      string
	kind     string // "h" hash increments, "u" visitor set
	expireAt int64  // Unix seconds; 0 never
	fields   []string
	incr     map[string]int64
	visitors map[string]struct{}
}

type streamOps struct {
	tenant string
	values []any
}

func (b *builder) build(seq uint64, events []Event) *batch {
	clear(b.tags)
	clear(b.streams)
	b.order, b.tenants = b.order[:0], b.tenants[:0]
	now := b.now()
	for i := range events {
		b.add(&events[i], now)
	}
	return b.encode(seq, len(events))
}

func (b *builder) add(e *Event, now time.Time) {
	t := e.Time
	if t.IsZero() {
		t = now
	}
	day := DateOf(t.In(b.cfg.Timezone))
	hour := t.UTC().Truncate(time.Hour)
	country, city := b.geo.Lookup(e.IP)
	visitor := b.visitors.id(day, e.IP, e.UserAgent)

	b.count(linkTag(e.Code), e, day, hour, country, city, visitor)
	if e.Campaign != "" {
		b.count(campaignTag(e.Tenant, e.Campaign), e, day, hour, country, city, visitor)
	}
	s := b.streams[e.Tenant]
	if s == nil {
		s = &streamOps{tenant: e.Tenant}
		b.streams[e.Tenant] = s
		b.tenants = append(b.tenants, s)
	}
	s.values = append(s.values,
		strconv.FormatInt(t.UnixMilli(), 10), e.Type.String(), e.Code, e.Tenant, e.Campaign,
		truncate(e.Platform, maxDimensionLen), truncate(e.OS, maxDimensionLen), truncate(e.Channel, maxDimensionLen),
		country, city, visitor, truncate(e.UserAgent, maxUserAgentLen), strconv.FormatInt(e.Value, 10))
}

// streamFields lists the stream fields in the order add appends their values.
func streamFields() []string {
	return []string{evTime, evType, evCode, evTenant, evCampaign, evPlatform, evOS, evChannel,
		evCountry, evCity, evVisitor, evUA, evValue}
}

// count adds e to the counters of one link or campaign.
func (b *builder) count(tag string, e *Event, day Date, hour time.Time, country, city, visitor string) {
	ops := b.tags[tag]
	if ops == nil {
		ops = &tagOps{tag: tag, keys: make(map[string]*keyOps)}
		b.tags[tag] = ops
		b.order = append(b.order, ops)
	}
	dayExp := day.AddDays(1).Start(b.cfg.Timezone).Add(b.cfg.Retention).Unix()
	hourExp := hour.Add(time.Hour + b.cfg.HourlyRetention).Unix()
	buckets := [...]*keyOps{
		ops.key(dayKey(tag, day), "h", dayExp),
		ops.key(hourKey(tag, hour), "h", hourExp),
		ops.key(totalKey(tag), "h", 0),
	}
	switch e.Type {
	case Scan:
		buckets[2].add(fieldScans, 1) // all-time totals keep counts only
		for _, k := range buckets[:2] {
			k.add(fieldScans, 1)
			k.add(prefixPlatform+dimension(e.Platform), 1)
			k.add(prefixOS+dimension(e.OS), 1)
			k.add(prefixChannel+dimension(e.Channel), 1)
			if country != "" {
				k.add(prefixCountry+country, 1)
			}
			if city != "" {
				k.add(prefixCity+truncate(city, maxDimensionLen), 1)
			}
		}
		ops.key(dayVisitorsKey(tag, day), "u", dayExp).visit(visitor)
		ops.key(hourVisitorsKey(tag, hour), "u", hourExp).visit(visitor)
	case Open:
		for _, k := range buckets {
			k.add(fieldOpens, 1)
		}
	case Conversion:
		for _, k := range buckets {
			k.add(fieldConversions, 1)
			k.add(fieldConvValue, e.Value)
		}
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

func (k *keyOps) add(field string, n int64) {
	if k.incr == nil {
		k.incr = make(map[string]int64)
	}
	if _, ok := k.incr[field]; !ok {
		k.fields = append(k.fields, field)
	}
	k.incr[field] += n
}

func (k *keyOps) visit(id string) {
	if k.visitors == nil {
		k.visitors = make(map[string]struct{})
	}
	k.visitors[id] = struct{}{}
}

// encode lays the batch out as script calls (see scripts.go for the
// argument layout).
func (b *builder) encode(seq uint64, events int) *batch {
	bt := &batch{seq: seq, events: events}
	s := strconv.FormatUint(seq, 10)
	ttl := strconv.FormatInt(int64(b.cfg.DedupTTL/time.Second), 10)
	for _, t := range b.order {
		keys := make([]string, 0, len(t.order)+1)
		keys = append(keys, writerMarkKey(t.tag, b.writer))
		args := []any{s, ttl, b.cfg.MaxCities}
		for _, k := range t.order {
			keys = append(keys, k.key)
			if k.kind == "h" {
				args = append(args, "h", k.expireAt, len(k.fields))
				for _, f := range k.fields {
					args = append(args, f, k.incr[f])
				}
				continue
			}
			args = append(args, "u", k.expireAt, len(k.visitors))
			for v := range k.visitors {
				args = append(args, v)
			}
		}
		bt.calls = append(bt.calls, call{b.counters, keys, args})
	}
	minID := strconv.FormatInt(max(0, b.now().Add(-b.cfg.StreamMaxAge).UnixMilli()), 10)
	fields := streamFields()
	for _, st := range b.tenants {
		keys := []string{writerMarkKey(eventsTag(st.tenant), b.writer), streamKey(st.tenant)}
		args := make([]any, 0, 5+len(fields)+len(st.values))
		args = append(args, s, ttl, b.cfg.StreamMaxLen, minID, len(fields))
		for _, f := range fields {
			args = append(args, f)
		}
		args = append(args, st.values...)
		bt.calls = append(bt.calls, call{b.stream, keys, args})
	}
	return bt
}
