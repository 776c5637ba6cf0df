package links

// Compiling a rule's conditions (When) into the Match that routing reads.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/scangate/scangate/internal/platform"
)

// DefaultRuleZone is the zone of a time window that names none: ScanGate's
// merchants are in China.
const DefaultRuleZone = "Asia/Shanghai"

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// compile checks w and fills w.Match. field prefixes the field names of
// its errors.
func (w *When) compile(field string) error {
	m := Match{}
	for _, name := range w.Platform {
		app, ok := platform.ParseApp(name)
		if !ok {
			return invalid(field+"platform", "unknown host app %q; known: %s", name, strings.Join(platform.AppNames(), ", "))
		}
		m.Apps |= 1 << app
	}
	for _, name := range w.OS {
		os, ok := platform.ParseOS(name)
		if !ok {
			return invalid(field+"os", "unknown OS %q; known: %s", name, strings.Join(platform.OSNames(), ", "))
		}
		m.OSes |= 1 << os
	}
	var err error
	if m.Countries, err = placeList(field+"country", w.Country, 2); err != nil {
		return err
	}
	for i, c := range m.Countries {
		if len(c) != 2 || !isASCIILetters(c) {
			return invalid(field+"country", "%q is not a two-letter ISO 3166-1 code such as CN", c)
		}
		m.Countries[i] = strings.ToUpper(c)
	}
	if m.Regions, err = placeList(field+"region", w.Region, MaxPlaceRunes); err != nil {
		return err
	}
	if m.Cities, err = placeList(field+"city", w.City, MaxPlaceRunes); err != nil {
		return err
	}
	if m.Langs, err = placeList(field+"lang", w.Lang, 16); err != nil {
		return err
	}
	for i, l := range m.Langs {
		l = strings.ToLower(strings.ReplaceAll(l, "_", "-"))
		if !isLangTag(l) {
			return invalid(field+"lang", "%q is not a language tag such as zh, zh-CN or en", w.Lang[i])
		}
		m.Langs[i] = l
	}
	if w.Time != nil {
		if err := w.Time.compile(field+"time.", &m); err != nil {
			return err
		}
	}
	if w.After != nil {
		m.After = w.After.Unix()
	}
	if w.Before != nil {
		m.Before = w.Before.Unix()
		if w.After != nil && !w.After.Before(*w.Before) {
			return invalid(field+"before", "must be later than after")
		}
	}
	w.Match = m
	return nil
}

// placeList checks a condition's list and returns a copy to compile into.
func placeList(field string, list []string, maxRunes int) ([]string, error) {
	if len(list) > MaxRuleValues {
		return nil, invalid(field, "at most %d entries", MaxRuleValues)
	}
	if len(list) == 0 {
		return nil, nil
	}
	out := make([]string, len(list))
	for i, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, invalid(field, "entries must not be empty")
		}
		if err := checkText(field, s, maxRunes); err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func (t *TimeWindow) compile(field string, m *Match) error {
	tz := t.TZ
	if tz == "" {
		tz = DefaultRuleZone
	}
	loc, err := loadZone(tz)
	if err != nil || tz == "Local" {
		return invalid(field+"tz", "%q is not an IANA time zone such as Asia/Shanghai", t.TZ)
	}
	m.Zone = loc
	if len(t.Days) > 7 {
		return invalid(field+"days", "at most 7 days")
	}
	for _, d := range t.Days {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return invalid(field+"days", "%q is not a day; use mon, tue, wed, thu, fri, sat, sun", d)
		}
		m.Days |= 1 << wd
	}
	if m.From, err = clockMinutes(t.From, 0); err != nil {
		return invalid(field+"from", "%q is not a time of day like 06:30", t.From)
	}
	if m.To, err = clockMinutes(t.To, 24*60); err != nil {
		return invalid(field+"to", "%q is not a time of day like 06:30", t.To)
	}
	if t.From != "" && t.To != "" && m.From == m.To {
		return invalid(field+"to", "must differ from from; leave both out for the whole day")
	}
	return nil
}

// clockMinutes parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
func clockMinutes(s string, empty int) (int, error) {
	if s == "" {
		return empty, nil
	}
	t, err := time.Parse("15:04", s)
	if s == "24:00" && empty == 24*60 {
		return 24 * 60, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day like 06:30", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// isLangTag accepts a primary language subtag of 2–3 letters and optional
// subtags of 2–8 letters or digits.
func isLangTag(s string) bool {
	for i, part := range strings.Split(s, "-") {
		if i == 0 && (len(part) < 2 || len(part) > 3 || !isASCIILetters(part)) {
			return false
		}
		if len(part) < 2 || len(part) > 8 {
			return false
		}
	}
	return true
}

// zones holds the time zones rules have named. time.LoadLocation reads and
// parses the zone's data on every call, and a link's rules are compiled
// each time the link is read from Redis. Only names of the IANA shape
// (zoneName: no "." segments, no doubled slashes, which LoadLocation would
// also accept as other spellings of one zone) are looked up, and only
// those that load are kept, at most maxZones of them.
var zones struct {
	sync.RWMutex
	m map[string]*time.Location
}

const maxZones = 1024 // the IANA database has about 600 names

var zoneName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$`)

func loadZone(name string) (*time.Location, error) {
	if len(name) > 64 || !zoneName.MatchString(name) {
		return nil, errors.New("not a time zone name")
	}
	zones.RLock()
	loc, ok := zones.m[name]
	zones.RUnlock()
	if ok {
		return loc, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Lock()
	if zones.m == nil {
		zones.m = make(map[string]*time.Location)
	}
	if len(zones.m) < maxZones {
		zones.m[name] = loc
	}
	zones.Unlock()
	return loc, nil
}
