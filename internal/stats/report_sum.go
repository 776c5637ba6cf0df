package stats

import (
	"strconv"
	"strings"
)

// How the counter hashes of a report's range sum into it.

// add sums one counter hash into the report and returns its scans.
func (rep *Report) add(fields map[string]string) int64 {
	var scans int64
	for f, v := range fields {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		switch {
		case f == fieldScans:
			scans += n
		case f == fieldOpens:
			rep.Totals.Opens += n
		case f == fieldConversions:
			rep.Totals.Conversions += n
		case f == fieldConvValue:
			rep.Totals.ConversionValue += n
		default:
			rep.addLabel(f, n)
		}
	}
	rep.Totals.Scans += scans
	return scans
}

// addLabel sums a labelled field (p:wechat, v:A...) into its breakdown.
// Fields of no known prefix (the cap counts ncity...) are left out.
func (rep *Report) addLabel(f string, n int64) {
	prefix, name, ok := strings.Cut(f, ":")
	if !ok {
		return
	}
	prefix += ":"
	if m := rep.breakdown(prefix); m != nil {
		m[name] += n
		return
	}
	vs := rep.ByVariant[name]
	switch prefix {
	case prefixVariantScans:
		vs.Scans += n
	case prefixVariantOpens:
		vs.Opens += n
	case prefixVariantConversions:
		vs.Conversions += n
	case prefixVariantValue:
		vs.ConversionValue += n
	default:
		return
	}
	rep.ByVariant[name] = vs
}

// breakdown is the map of the report that sums the fields of prefix.
func (rep *Report) breakdown(prefix string) map[string]int64 {
	switch prefix {
	case prefixPlatform:
		return rep.ByPlatform
	case prefixOS:
		return rep.ByOS
	case prefixChannel:
		return rep.ByChannel
	case prefixCountry:
		return rep.ByCountry
	case prefixRegion:
		return rep.ByRegion
	case prefixCity:
		return rep.ByCity
	case prefixRule:
		return rep.ByRule
	}
	return nil
}
