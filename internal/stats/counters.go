package stats

import (
	"slices"
	"time"
)

// The counters of a batch: its records summed into tallies, and the
// tallies summed per link and campaign, by day and hour, which calls.go
// lays out as script calls.

// countKey is everything a record's counters depend on.
type countKey struct {
	typ EventType
	bk  bucket
	code, tenant, campaign, platform, os, channel, country, region, city,
	rule, variant string
}

// tally is the records of one countKey: how many, the sum of their
// values, and their visitors (repeats included; the visitor sets drop them).
type tally struct {
	key      countKey
	n, value int64
	visitors []string
	combo    string // the field its scans count under (keys.go), made once for the link and campaign
}

// tagID names a link (code) or a campaign (tenant and campaign).
type tagID struct{ code, tenant, campaign string }

// tagOps is what a batch does to the keys of one hash tag. Its slices are
// kept from batch to batch (encoder.free), to be reused.
type tagOps struct {
	tag    string
	group  uint32 // its marks group on a single node (calls.go)
	events int64
	// total is what goes to the all-time hash: scans, opens, conversions,
	// conversion value (totalFields).
	total    [4]int64
	buckets  []bucketOps
	variants []variantOps // the daily visitor sets of A/B variants
}

// totalFields are the fields of tagOps.total, in order.
var totalFields = [4]string{fieldScans, fieldOpens, fieldConversions, fieldConvValue}

// bucket is a day of Config.Timezone and a UTC hour (Unix seconds) in it.
type bucket struct {
	day  Date
	hour int64
}

// bucketOps is what a batch adds to the keys of one tag's day and hour:
// the same to the day's counter hash as to the hour's, and the same
// visitors to both visitor sets.
type bucketOps struct {
	bk       bucket
	combos   []increment    // scans, by combination (field.name)
	comboAt  map[string]int // index in combos, once there are many
	visitors []string
	// plain is opens, conversions and conversion value (bucketFields);
	// labels the capped fields of variants of opens and conversions.
	plain  [3]int64
	labels []increment
}

// bucketFields are the fields of bucketOps.plain, in order.
var bucketFields = [3]string{fieldOpens, fieldConversions, fieldConvValue}

// variantOps is the daily visitor set of one A/B variant.
type variantOps struct {
	variant  string
	day      Date
	visitors []string
}

// field is a counter hash field, prefix+name, kept apart until encoding.
type field struct{ prefix, name string }

// increment is one HINCRBY. A hash gets a dozen distinct fields or so in a
// batch: a slice searched in order is cheaper than a map.
type increment struct {
	field
	n int64
}

// bucketOf returns the day (in Config.Timezone) and UTC hour of a time in
// Unix milliseconds.
func (b *encoder) bucketOf(ms int64) bucket {
	if ms >= b.spanLo && ms < b.spanHi {
		return b.spanBk
	}
	t := time.UnixMilli(ms)
	day := DateOf(t.In(b.cfg.Timezone))
	hour := t.UTC().Truncate(time.Hour)
	bk := bucket{day, hour.Unix()}
	b.spanBk = bk
	b.spanLo = max(hour.UnixMilli(), day.Start(b.cfg.Timezone).UnixMilli())
	b.spanHi = min(hour.Add(time.Hour).UnixMilli(), day.AddDays(1).Start(b.cfg.Timezone).UnixMilli())
	return bk
}

// count adds a tally to the counters of one link or campaign.
func (b *encoder) count(id tagID, t *tally) {
	ops := b.tagOf(id)
	bo := ops.bucket(t.key.bk)
	r := &t.key
	n := t.n
	if id.code != "" {
		ops.events += n // an event is lost if its link's counters are
	}
	switch r.typ {
	case Scan:
		ops.total[0] += n
		if t.combo == "" {
			t.combo = scanCombination(r)
		}
		bo.addCombination(t.combo, n)
		bo.visitors = append(bo.visitors, t.visitors...)
		if r.variant != "" {
			vo := ops.variantSet(r.variant, r.bk.day)
			vo.visitors = append(vo.visitors, t.visitors...)
		}
	case Open:
		ops.total[1] += n
		bo.plain[0] += n
		bo.addLabel(prefixVariantOpens, r.variant, n)
	case Conversion:
		ops.total[2] += n
		ops.total[3] += t.value
		bo.plain[1] += n
		bo.plain[2] += t.value
		bo.addLabel(prefixVariantConversions, r.variant, n)
		bo.addLabel(prefixVariantValue, r.variant, t.value)
	}
}

// tagOf finds or makes the counters of a link or campaign, reusing those
// of an earlier batch.
func (b *encoder) tagOf(id tagID) *tagOps {
	if ops := b.tags[id]; ops != nil {
		return ops
	}
	tag := linkTag(id.code)
	if id.campaign != "" {
		tag = campaignTag(id.tenant, id.campaign)
	}
	var ops *tagOps
	if n := len(b.free); n > 0 {
		ops, b.free = b.free[n-1], b.free[:n-1]
		*ops = tagOps{buckets: ops.buckets[:0], variants: ops.variants[:0]}
	} else {
		ops = &tagOps{}
	}
	ops.tag, ops.group = tag, markGroup(tag)
	b.tags[id] = ops
	b.order = append(b.order, ops)
	return ops
}

// bucket finds or adds the counters of one day and hour.
func (t *tagOps) bucket(bk bucket) *bucketOps {
	for i := range t.buckets {
		if t.buckets[i].bk == bk {
			return &t.buckets[i]
		}
	}
	if len(t.buckets) < cap(t.buckets) {
		t.buckets = t.buckets[:len(t.buckets)+1]
		bo := &t.buckets[len(t.buckets)-1]
		*bo = bucketOps{bk: bk, combos: bo.combos[:0], visitors: bo.visitors[:0], labels: bo.labels[:0]}
		return bo
	}
	t.buckets = append(t.buckets, bucketOps{bk: bk})
	return &t.buckets[len(t.buckets)-1]
}

// variantSet finds or adds the daily visitor set of a variant.
func (t *tagOps) variantSet(variant string, day Date) *variantOps {
	for i := range t.variants {
		if v := &t.variants[i]; v.variant == variant && v.day == day {
			return v
		}
	}
	if len(t.variants) < cap(t.variants) {
		t.variants = t.variants[:len(t.variants)+1]
		v := &t.variants[len(t.variants)-1]
		*v = variantOps{variant: variant, day: day, visitors: v.visitors[:0]}
		return v
	}
	t.variants = append(t.variants, variantOps{variant: variant, day: day})
	return &t.variants[len(t.variants)-1]
}

// addCombination counts n scans under a combination.
func (bo *bucketOps) addCombination(f string, n int64) {
	if bo.comboAt != nil {
		if i, ok := bo.comboAt[f]; ok {
			bo.combos[i].n += n
			return
		}
		bo.comboAt[f] = len(bo.combos)
	} else {
		for i := range bo.combos {
			if bo.combos[i].name == f {
				bo.combos[i].n += n
				return
			}
		}
		if len(bo.combos) == 16 {
			bo.comboAt = make(map[string]int, 32)
			for i, c := range bo.combos {
				bo.comboAt[c.name] = i
			}
			bo.comboAt[f] = len(bo.combos)
		}
	}
	bo.combos = append(bo.combos, increment{field{name: f}, n})
}

// addLabel counts n under prefix+name, unless the event has no such label.
func (bo *bucketOps) addLabel(prefix, name string, n int64) {
	if name == "" {
		return
	}
	f := field{prefix, name}
	for i := range bo.labels {
		if bo.labels[i].field == f {
			bo.labels[i].n += n
			return
		}
	}
	bo.labels = append(bo.labels, increment{f, n})
}

// distinct sorts ids and drops repeats: a busy link's thousand scans by a
// few dozen visitors are a few dozen PFADD arguments.
func distinct(ids []string) []string {
	if len(ids) < 2 {
		return ids
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// release returns the batch's counters to the free list.
func (b *encoder) release() {
	for _, ops := range b.order {
		for i := range ops.buckets {
			ops.buckets[i].comboAt = nil
		}
		b.free = append(b.free, ops)
	}
	clear(b.tags)
	b.order = b.order[:0]
}
