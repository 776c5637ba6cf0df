package stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Redis keys. Every key this package uses is built by one function below.
//
// Keys come in groups that share a Redis Cluster hash tag (the part in
// braces), so that each Lua call of the writer, and each multi-key read
// (PFCOUNT over several days), touches a single hash slot:
//
//	link      {CODE}             sg:{CODE}:d:20261124       HASH daily counters (day in Config.Timezone)
//	                             sg:{CODE}:h:2026112408     HASH hourly counters (hour in UTC)
//	                             sg:{CODE}:u:20261124       HLL  daily visitors
//	                             sg:{CODE}:uh:2026112408    HLL  hourly visitors
//	                             sg:{CODE}:uv:A:20261124    HLL  daily visitors of A/B variant A
//	                             sg:{CODE}:total            HASH all-time counters (no expiry)
//	                             sg:{CODE}:w:WRITER         STRING last batch applied by one writer (Cluster)
//	campaign  {c:TENANT:NAME}    the same shapes, summed over the campaign's links
//	events    {e:TENANT}         sg:{e:TENANT}:events       STREAM raw events of one tenant
//	                             sg:{e:TENANT}:eventsidx    LIST   its entries' ids and event counts
//	                             sg:{e:TENANT}:eventsn      STRING the events those entries hold
//	                             sg:{e:TENANT}:rank         ZSET   all-time scans by link code, for sort=scans
//	                             sg:{e:TENANT}:w:WRITER     STRING last batch applied by one writer
//	single node                  sg:w:WRITER:GROUP          STRING last batch applied by one writer to a group of tags
//
// Daily and hourly counter hashes count scans by combination of labels:
// one field per combination, s␟<platform>␟<os>␟<channel>␟<country>␟<region>␟<city>␟<rule>␟<variant>
// (␟ the byte 0x1F, labels that are not known left empty), and "ns" counts
// those fields (capped at Config.MaxCombinations; past it a new one counts
// with region and city "other"). A report sums every breakdown from them.
// Opens and conversions are the fields opens, conv, convv (conversion
// value), and per A/B variant vo:<variant>, vc:<variant>, vv:<variant>
// (value), each prefix capped at maxLabels names (nvo, nvc, nvv count
// them). Hashes written before combinations (scans, p:<platform>, os:,
// ch:, cc:, rg:, city:, r:, v:<variant>, and their counts ncity...) are
// still read. The all-time hash holds scans, opens, conv and convv only.
// Variant names in keys go through keyPart.
const keyPrefix = "sg:"

// Field names inside the counter hashes.
const (
	fieldScans       = "scans"
	fieldOpens       = "opens"
	fieldConversions = "conv"
	fieldConvValue   = "convv"
	prefixPlatform   = "p:"
	prefixOS         = "os:"
	prefixChannel    = "ch:"
	prefixCountry    = "cc:"
	prefixRegion     = "rg:"
	prefixCity       = "city:"
	prefixRule       = "r:"
	// Per A/B variant: scans, opens, conversions, conversion value.
	prefixVariantScans       = "v:"
	prefixVariantOpens       = "vo:"
	prefixVariantConversions = "vc:"
	prefixVariantValue       = "vv:"
)

// maxLabels caps the distinct variant names of opens and of conversions in
// one counter hash: they carry whatever variant the mini program reports.
const maxLabels = 100

// comboSep separates the labels of a scan combination field; labels never
// hold it (scanCombination replaces it).
const comboSep = "\x1f"

// prefixCombination starts a scan combination field.
const prefixCombination = "s" + comboSep

// scanCombination returns the field a scan with these labels counts
// under. Past the cap it counts with region and city "other" (scripts.go).
func scanCombination(k *countKey) string {
	labels := [...]string{dimension(k.platform), dimension(k.os), dimension(k.channel), k.country,
		k.region, k.city, k.rule, k.variant}
	n := len(prefixCombination) + len(labels) - 1
	for _, l := range labels {
		n += len(l)
	}
	b := make([]byte, 0, n)
	b = append(b, prefixCombination...)
	for i, l := range labels {
		if i > 0 {
			b = append(b, comboSep...)
		}
		for j := 0; j < len(l); j++ {
			if c := l[j]; c == comboSep[0] {
				b = append(b, ' ')
			} else {
				b = append(b, c)
			}
		}
	}
	return string(b)
}

// labelCap is a field prefix whose distinct names a counter hash keeps at
// most max of; later new names count under prefix+"other" (scripts.go).
type labelCap struct {
	prefix string
	max    int
}

// labelCaps lists the capped prefixes (scans are capped by combination).
func labelCaps(Config) []labelCap {
	return []labelCap{
		{prefixVariantOpens, maxLabels}, {prefixVariantConversions, maxLabels}, {prefixVariantValue, maxLabels},
	}
}

// keyPart makes any string safe inside a key by percent-escaping the
// characters that have a meaning there: without it, campaign "b" of tenant
// "t:a" and campaign "a:b" of tenant "t" would share keys, and a brace in a
// name would move the hash tag.
func keyPart(s string) string {
	if !strings.ContainsAny(s, "%:{}") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%', ':', '{', '}':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func linkTag(code string) string { return "{" + keyPart(code) + "}" }

func campaignTag(tenant, campaign string) string {
	return "{c:" + keyPart(tenant) + ":" + keyPart(campaign) + "}"
}

func eventsTag(tenant string) string { return "{e:" + keyPart(tenant) + "}" }

func dayKey(tag string, d Date) string { return dayKeyOf(tag, d.compact()) }

func hourKey(tag string, hour time.Time) string { return hourKeyOf(tag, compactHour(hour)) }

func dayVisitorsKey(tag string, d Date) string { return dayVisitorsKeyOf(tag, d.compact()) }

func hourVisitorsKey(tag string, hour time.Time) string {
	return hourVisitorsKeyOf(tag, compactHour(hour))
}

// The same, given the day or hour as it is written in keys (the writer
// makes that once a batch).
func dayKeyOf(tag, day string) string           { return keyPrefix + tag + ":d:" + day }
func hourKeyOf(tag, hour string) string         { return keyPrefix + tag + ":h:" + hour }
func dayVisitorsKeyOf(tag, day string) string   { return keyPrefix + tag + ":u:" + day }
func hourVisitorsKeyOf(tag, hour string) string { return keyPrefix + tag + ":uh:" + hour }

// appendBucketKeys appends the four keys of a day and hour, as dayKeyOf,
// hourKeyOf, dayVisitorsKeyOf and hourVisitorsKeyOf name them: one string
// made, cut in four.
func appendBucketKeys(keys []string, tag string, bi bucketTimes) []string {
	all := keyPrefix + tag + ":d:" + bi.day + keyPrefix + tag + ":h:" + bi.hour +
		keyPrefix + tag + ":u:" + bi.day + keyPrefix + tag + ":uh:" + bi.hour
	n1 := len(keyPrefix) + len(tag) + len(":d:") + len(bi.day)
	n2 := n1 + len(keyPrefix) + len(tag) + len(":h:") + len(bi.hour)
	n3 := n2 + len(keyPrefix) + len(tag) + len(":u:") + len(bi.day)
	return append(keys, all[:n1], all[n1:n2], all[n2:n3], all[n3:])
}

// variantVisitorsKey is the daily visitor set of one A/B variant.
func variantVisitorsKey(tag, variant string, d Date) string {
	return keyPrefix + tag + ":uv:" + keyPart(variant) + ":" + d.compact()
}

// compactHour is the UTC hour in keys: 2026112408.
func compactHour(t time.Time) string {
	t = t.UTC()
	return string(appendDigits(DateOf(t).appendCompact(make([]byte, 0, 12)), t.Hour(), 2))
}

func totalKey(tag string) string { return keyPrefix + tag + ":total" }

func writerMarkKey(tag, writer string) string { return keyPrefix + tag + ":w:" + writer }

// groupMarkKey is a writer's mark for one group of tags, on a single node
// (calls.go).
func groupMarkKey(writer string, group uint32) string {
	return keyPrefix + "w:" + writer + ":" + strconv.FormatUint(uint64(group), 10)
}

func streamKey(tenant string) string { return keyPrefix + eventsTag(tenant) + ":events" }

// streamIndexKey lists the stream's entries (written since entries hold
// several events) as "ID COUNT", oldest first, and streamCountKey holds the
// sum of their counts: the stream is trimmed by events, exactly, without
// reading entries back (streamLua).
func streamIndexKey(tenant string) string { return keyPrefix + eventsTag(tenant) + ":eventsidx" }

func streamCountKey(tenant string) string { return keyPrefix + eventsTag(tenant) + ":eventsn" }

// rankKey orders a tenant's link codes by all-time scans. The stream script
// adds each batch's scans, under the batch's mark, so it counts exactly as
// the counters do; links scanned before it existed get their totals from
// BackfillRank.
func rankKey(tenant string) string { return keyPrefix + eventsTag(tenant) + ":rank" }

// saltKey holds a day's random visitor salt (see daySalt).
func saltKey(d Date) string { return keyPrefix + "stats:salt:" + d.compact() }
