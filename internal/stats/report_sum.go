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
		case strings.HasPrefix(f, prefixCombination):
			scans += n
			rep.addCombination(f[len(prefixCombination):], n)
		default:
			rep.addLabel(f, n)
		}
	}
	rep.Totals.Scans += scans
	return scans
}

// addCombination sums the scans of one combination of labels into every
// breakdown it names (keys.go).
func (rep *Report) addCombination(labels string, n int64) {
	var l [8]string
	for i := range l {
		if i == len(l)-1 {
			l[i] = labels
			break
		}
		var ok bool
		if l[i], labels, ok = strings.Cut(labels, comboSep); !ok {
			return // not a combination this release writes
		}
	}
	rep.ByPlatform[l[0]] += n
	rep.ByOS[l[1]] += n
	rep.ByChannel[l[2]] += n
	for i, m := range [...]map[string]int64{rep.ByCountry, rep.ByRegion, rep.ByCity, rep.ByRule} {
		if name := l[3+i]; name != "" {
			m[name] += n
		}
	}
	if v := l[7]; v != "" {
		vs := rep.ByVariant[v]
		vs.Scans += n
		rep.ByVariant[v] = vs
	}
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
