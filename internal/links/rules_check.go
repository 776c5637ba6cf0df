package links

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scangate/scangate/internal/platform"
)

// reservedName is the stats bucket of rule and variant names over the cap.
const reservedName = "other"

// DefaultRuleZone is the zone of a time window that names none: ScanGate's
// merchants are in China.
const DefaultRuleZone = "Asia/Shanghai"

var variantName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ValidVariantName reports whether s can name a split's variant.
func ValidVariantName(s string) bool { return variantName.MatchString(s) }

// normalizeRouting checks rules, split and the visitor limit, and compiles
// the rules' conditions. code is the longest scene a launch query carries.
func (in *Input) normalizeRouting(code string) error {
	if len(in.Rules) > MaxRules {
		return invalid("rules", "at most %d rules (got %d)", MaxRules, len(in.Rules))
	}
	seen := make(map[string]bool, len(in.Rules))
	for i := range in.Rules {
		r := &in.Rules[i]
		prefix := fmt.Sprintf("rules[%d].", i)
		if err := checkRuleName(prefix+"name", r.Name); err != nil {
			return err
		}
		if seen[r.Name] {
			return invalid(prefix+"name", "%q is used by an earlier rule; names must be unique", r.Name)
		}
		seen[r.Name] = true
		if err := r.When.compile(prefix + "when."); err != nil {
			return err
		}
		// A rule's scans are not split, so its queries carry no variant.
		if err := r.Targets.check(prefix+"targets.", code, ""); err != nil {
			return err
		}
		if r.FallbackURL != "" {
			if err := checkURL(prefix+"fallback_url", r.FallbackURL); err != nil {
				return err
			}
		} else if r.Targets.Empty() {
			return invalid(prefix+"targets", "a rule needs targets, or a fallback_url to send its scans to")
		}
	}
	if in.Split != nil {
		if err := in.Split.check(code); err != nil {
			return err
		}
		// The link's own targets serve every variant that does not
		// override them, so their queries carry sg_v too.
		if err := in.Targets.check("targets.", code, in.Split.longestParam()); err != nil {
			return err
		}
	}
	if v := in.MaxScansPerVisitor; v != nil {
		if v.Count < 1 || v.Count > MaxVisitorScans {
			return invalid("max_scans_per_visitor.count", "must be between 1 and %d", MaxVisitorScans)
		}
		if v.Per != PerHour && v.Per != PerDay {
			return invalid("max_scans_per_visitor.per", "must be %q or %q: visitors are recognised for a day at most, never across days", PerHour, PerDay)
		}
	}
	return nil
}

func checkRuleName(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	if n := utf8.RuneCountInString(s); n > MaxRuleNameRunes || len(s) > MaxRuleNameBytes {
		return invalid(field, "at most %d characters and %d bytes (about 21 Chinese characters)", MaxRuleNameRunes, MaxRuleNameBytes)
	}
	if strings.EqualFold(s, reservedName) {
		return invalid(field, "%q is reserved: stats count names beyond their cap under it", s)
	}
	// The name is a stats dimension and a CSV cell: the label alphabet,
	// plus spaces.
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-. ", r)) {
			return invalid(field, "%q may contain only letters, digits, spaces, '_', '-' and '.'", s)
		}
	}
	return nil
}

func (s *Split) check(code string) error {
	if n := len(s.Variants); n < MinVariants || n > MaxVariants {
		return invalid("split.variants", "needs %d to %d variants (got %d)", MinVariants, MaxVariants, n)
	}
	seen := make(map[string]bool, len(s.Variants))
	total := 0
	for i := range s.Variants {
		v := &s.Variants[i]
		prefix := fmt.Sprintf("split.variants[%d].", i)
		if !variantName.MatchString(v.Name) {
			return invalid(prefix+"name", "must be 1 to %d characters of A-Z, a-z, 0-9, '_' or '-' (it travels in the launch query)", MaxVariantNameLen)
		}
		if strings.EqualFold(v.Name, reservedName) {
			return invalid(prefix+"name", "%q is reserved: stats count names beyond their cap under it", v.Name)
		}
		if seen[v.Name] {
			return invalid(prefix+"name", "%q is used by an earlier variant; names must be unique", v.Name)
		}
		seen[v.Name] = true
		if v.Weight < 0 || v.Weight > MaxVariantWeight {
			return invalid(prefix+"weight", "must be a whole number from 0 to %d", MaxVariantWeight)
		}
		total += v.Weight
		if err := v.Targets.check(prefix+"targets.", code, "&"+VariantParam+"="+v.Name); err != nil {
			return err
		}
	}
	if total == 0 {
		return invalid("split.variants", "at least one variant needs a weight above 0")
	}
	return nil
}

// longestParam is the longest &sg_v=<name> the split adds to a query.
func (s *Split) longestParam() string {
	longest := ""
	for _, v := range s.Variants {
		if len(v.Name) > len(longest) {
			longest = v.Name
		}
	}
	return "&" + VariantParam + "=" + longest
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
		return invalid(field+"from", "%s", err)
	}
	if m.To, err = clockMinutes(t.To, 24*60); err != nil {
		return invalid(field+"to", "%s", err)
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

// compileRules fills the Match of every rule of a link read from the
// store. The rules passed validation when they were written; a zone this
// binary does not know leaves its rule never matching rather than
// matching always.
func (l *Link) compileRules() {
	for i := range l.Rules {
		w := &l.Rules[i].When
		if err := w.compile(""); err != nil {
			w.Match = Match{Apps: 1 << 63} // no host app has bit 63
		}
	}
}

// Preview validates in and returns the link it would become for tenant at
// now, without storing it: for trying out rules and splits (and for tests
// of the decisions built on them).
func (in Input) Preview(tenant string, now time.Time) (*Link, error) {
	if err := in.normalize(); err != nil {
		return nil, err
	}
	l := newLink(tenant, in, now.UTC())
	if l.Code == "" {
		l.Code = strings.Repeat("x", GeneratedCodeLen)
	}
	return l, nil
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
