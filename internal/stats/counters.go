package stats

import "time"

// The counters of a batch: its records summed into tallies, and the
// tallies laid out as increments and visitor sets per key of each link and
// campaign, which calls.go turns into script calls.

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
	// combo is the field a scan counts under (keys.go), and folded the one
	// it counts under past the cap; made once for the link and campaign.
	combo, folded string
}

// tagID names a link (code) or a campaign (tenant and campaign).
type tagID struct{ code, tenant, campaign string }

// tagOps is what a batch does to the keys of one hash tag.
type tagOps struct {
	tag     string
	group   uint32 // its marks group on a single node (calls.go)
	events  int64
	keys    map[string]*keyOps
	order   []*keyOps
	total   *keyOps
	buckets map[bucket]bucketOps // saves building key names for every event
	// variants holds the daily visitor sets of A/B variants.
	variants map[variantDay]*keyOps
}

// variantDay names the daily visitor set of one variant.
type variantDay struct {
	variant string
	day     Date
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
	combos   []comboIncrement
	comboAt  map[string]int // index in combos, once there are many
	visitors map[string]struct{}
	// tie is the counter hash whose first scan makes this visitor set
	// (scripts.go), if any.
	tie *keyOps
	pos int // KEYS index in its call, while calls lays it out
}

// comboIncrement is one HINCRBY of a scan combination, and the field it
// folds to past the cap.
type comboIncrement struct {
	field, folded string
	n             int64
}

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
	bk, n, value := t.key.bk, t.n, t.value
	r := &t.key
	ops := b.tags[id]
	if ops == nil {
		tag := linkTag(id.code)
		if id.campaign != "" {
			tag = campaignTag(id.tenant, id.campaign)
		}
		ops = &tagOps{tag: tag, keys: make(map[string]*keyOps), buckets: make(map[bucket]bucketOps),
			variants: make(map[variantDay]*keyOps)}
		ops.total = ops.key(totalKey(tag), "h", 0)
		ops.group = markGroup(tag)
		b.tags[id] = ops
		b.order = append(b.order, ops)
	}
	k, ok := ops.buckets[bk]
	if !ok {
		k = b.bucketKeys(ops, bk)
		ops.buckets[bk] = k
	}
	if id.code != "" {
		ops.events += n // an event is lost if its link's counters are
	}
	switch r.typ {
	case Scan:
		ops.total.add(field{fieldScans, ""}, n) // all-time totals keep counts only
		if t.combo == "" {
			t.combo, t.folded = scanCombination(r)
		}
		k.day.addCombination(t.combo, t.folded, n)
		k.hour.addCombination(t.combo, t.folded, n)
		var vv *keyOps
		if r.variant != "" {
			vv = b.variantVisitors(ops, r.variant, bk.day)
		}
		for _, v := range t.visitors {
			k.dayVisitors.visit(v)
			k.hourVisitors.visit(v)
			if vv != nil {
				vv.visit(v)
			}
		}
	case Open:
		for _, h := range [...]*keyOps{k.day, k.hour, ops.total} {
			h.add(field{fieldOpens, ""}, n)
		}
		for _, h := range [...]*keyOps{k.day, k.hour} {
			addLabel(h, prefixVariantOpens, r.variant, n)
		}
	case Conversion:
		for _, h := range [...]*keyOps{k.day, k.hour, ops.total} {
			h.add(field{fieldConversions, ""}, n)
			h.add(field{fieldConvValue, ""}, value)
		}
		for _, h := range [...]*keyOps{k.day, k.hour} {
			addLabel(h, prefixVariantConversions, r.variant, n)
			addLabel(h, prefixVariantValue, r.variant, value)
		}
	}
}

// addLabel counts n under prefix+name, unless the event has no such label.
func addLabel(h *keyOps, prefix, name string, n int64) {
	if name != "" {
		h.add(field{prefix, name}, n)
	}
}

// variantVisitors finds or creates the daily visitor set of a variant; it
// expires with the day's other keys.
func (b *encoder) variantVisitors(ops *tagOps, variant string, day Date) *keyOps {
	id := variantDay{variant, day}
	k := ops.variants[id]
	if k == nil {
		exp := day.AddDays(1).Start(b.cfg.Timezone).Add(b.cfg.Retention).Unix()
		k = ops.key(variantVisitorsKey(ops.tag, variant, day), "u", exp)
		ops.variants[id] = k
	}
	return k
}

// bucketKeys finds or creates the keys of a day and hour; each expires
// Retention (HourlyRetention) after the end of its day (hour).
func (b *encoder) bucketKeys(ops *tagOps, bk bucket) bucketOps {
	hour := time.Unix(bk.hour, 0).UTC()
	dayExp := bk.day.AddDays(1).Start(b.cfg.Timezone).Add(b.cfg.Retention).Unix()
	hourExp := hour.Add(time.Hour + b.cfg.HourlyRetention).Unix()
	k := bucketOps{
		day:          ops.key(dayKey(ops.tag, bk.day), "h", dayExp),
		hour:         ops.key(hourKey(ops.tag, hour), "h", hourExp),
		dayVisitors:  ops.key(dayVisitorsKey(ops.tag, bk.day), "u", dayExp),
		hourVisitors: ops.key(hourVisitorsKey(ops.tag, hour), "u", hourExp),
	}
	k.dayVisitors.tie, k.hourVisitors.tie = k.day, k.hour
	return k
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

// addCombination counts n scans under a combination.
func (k *keyOps) addCombination(f, folded string, n int64) {
	if k.comboAt != nil {
		if i, ok := k.comboAt[f]; ok {
			k.combos[i].n += n
			return
		}
	} else {
		for i := range k.combos {
			if k.combos[i].field == f {
				k.combos[i].n += n
				return
			}
		}
		if len(k.combos) == 16 {
			k.comboAt = make(map[string]int, 32)
			for i, c := range k.combos {
				k.comboAt[c.field] = i
			}
		}
	}
	if k.comboAt != nil {
		k.comboAt[f] = len(k.combos)
	}
	k.combos = append(k.combos, comboIncrement{f, folded, n})
}

func (k *keyOps) visit(id string) {
	if k.visitors == nil {
		k.visitors = make(map[string]struct{})
	}
	k.visitors[id] = struct{}{}
}
