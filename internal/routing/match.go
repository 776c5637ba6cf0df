package routing

import (
	"strings"

	"github.com/scangate/scangate/internal/links"
)

// matchRule returns the first rule whose condition holds for r, or nil.
func matchRule(rules []links.Rule, r *Request) *links.Rule {
	for i := range rules {
		if matches(&rules[i].When.Match, r) {
			return &rules[i]
		}
	}
	return nil
}

// matches reports whether every condition of m holds for r. Unknown facts
// (no GeoIP database, no language) hold for no list that names them.
func matches(m *links.Match, r *Request) bool {
	switch {
	case m.Apps != 0 && m.Apps&(1<<r.Client.App) == 0,
		m.OSes != 0 && m.OSes&(1<<r.Client.OS) == 0,
		len(m.Countries) > 0 && !anyName(m.Countries, r.Geo.Country, ""),
		len(m.Regions) > 0 && !anyName(m.Regions, r.Geo.Region, r.Geo.RegionZH),
		len(m.Cities) > 0 && !anyName(m.Cities, r.Geo.City, r.Geo.CityZH),
		len(m.Langs) > 0 && !anyLang(m.Langs, r.Lang):
		return false
	}
	if m.After != 0 || m.Before != 0 {
		sec := r.Time.Unix()
		if m.After != 0 && sec < m.After || m.Before != 0 && sec >= m.Before {
			return false
		}
	}
	return m.Zone == nil || inWindow(m, r)
}

// anyName reports whether one of names is en (ignoring case) or zh.
func anyName(names []string, en, zh string) bool {
	for _, n := range names {
		if en != "" && strings.EqualFold(n, en) || zh != "" && n == zh {
			return true
		}
	}
	return false
}

func anyLang(tags []string, lang string) bool {
	for _, t := range tags {
		if langMatch(t, lang) {
			return true
		}
	}
	return false
}

// langMatch reports whether lang is the tag or one of its sub-tags: "zh"
// holds for zh, zh-CN and zh_TW. tag is lower case with '-'.
func langMatch(tag, lang string) bool {
	if len(lang) < len(tag) {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := lang[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		} else if c == '_' {
			c = '-'
		}
		if c != tag[i] {
			return false
		}
	}
	return len(lang) == len(tag) || lang[len(tag)] == '-' || lang[len(tag)] == '_'
}

// inWindow reports whether r falls in m's time window. A window that
// crosses midnight belongs to the day it starts on.
func inWindow(m *links.Match, r *Request) bool {
	t := r.Time.In(m.Zone)
	mins := t.Hour()*60 + t.Minute()
	day := t.Weekday()
	switch {
	case m.From < m.To:
		if mins < m.From || mins >= m.To {
			return false
		}
	case mins >= m.From:
	case mins < m.To:
		day = (day + 6) % 7 // the part after midnight of yesterday's window
	default:
		return false
	}
	return m.Days == 0 || m.Days&(1<<day) != 0
}
