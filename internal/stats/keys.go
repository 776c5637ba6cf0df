package stats

import (
	"fmt"
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
//	                             sg:{CODE}:w:WRITER         STRING last batch applied by one writer
//	campaign  {c:TENANT:NAME}    the same shapes, summed over the campaign's links
//	events    {e:TENANT}         sg:{e:TENANT}:events       STREAM raw events of one tenant
//	                             sg:{e:TENANT}:eventsidx    LIST   its entries' ids and event counts
//	                             sg:{e:TENANT}:eventsn      STRING the events those entries hold
//	                             sg:{e:TENANT}:w:WRITER     STRING last batch applied by one writer
//
// Daily and hourly counter hashes hold the fields scans, opens, conv,
// convv (conversion value); scans by label: p:<platform>, os:<os>,
// ch:<channel>, cc:<country>, rg:<region>, city:<name>, r:<rule>,
// v:<variant>; and per variant vo:<variant> opens, vc:<variant>
// conversions, vv:<variant> conversion value. For each capped prefix
// (labelCaps) a field n<prefix without colon> (ncity, nrg, nr, nv...) counts
// the distinct labels the hash holds. The all-time hash holds scans, opens,
// conv and convv only. Variant names in keys go through keyPart.
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

// maxLabels caps the distinct rule names, and the distinct variant names
// of each variant prefix, in one counter hash. A link has at most 20 rules
// and 10 variants, but a campaign sums many links, and opens and
// conversions carry whatever variant the mini program reports.
const maxLabels = 100

// labelCap is a field prefix whose distinct names a counter hash keeps at
// most max of; later new names count under prefix+"other" (scripts.go).
type labelCap struct {
	prefix string
	max    int
}

// labelCaps lists the capped prefixes. Platforms, OSes and channels need
// no cap: the gateway names them from short fixed lists.
func labelCaps(cfg Config) []labelCap {
	return []labelCap{
		{prefixCity, cfg.MaxCities}, {prefixRegion, cfg.MaxCities}, {prefixRule, maxLabels},
		{prefixVariantScans, maxLabels}, {prefixVariantOpens, maxLabels},
		{prefixVariantConversions, maxLabels}, {prefixVariantValue, maxLabels},
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

func dayKey(tag string, d Date) string { return keyPrefix + tag + ":d:" + d.compact() }

func hourKey(tag string, hour time.Time) string { return keyPrefix + tag + ":h:" + compactHour(hour) }

func dayVisitorsKey(tag string, d Date) string { return keyPrefix + tag + ":u:" + d.compact() }

func hourVisitorsKey(tag string, hour time.Time) string {
	return keyPrefix + tag + ":uh:" + compactHour(hour)
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

func streamKey(tenant string) string { return keyPrefix + eventsTag(tenant) + ":events" }

// streamIndexKey lists the stream's entries (written since entries hold
// several events) as "ID COUNT", oldest first, and streamCountKey holds the
// sum of their counts: the stream is trimmed by events, exactly, without
// reading entries back (streamLua).
func streamIndexKey(tenant string) string { return keyPrefix + eventsTag(tenant) + ":eventsidx" }

func streamCountKey(tenant string) string { return keyPrefix + eventsTag(tenant) + ":eventsn" }

// saltKey holds a day's random visitor salt (see daySalt).
func saltKey(d Date) string { return keyPrefix + "stats:salt:" + d.compact() }
