package links

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// reservedName is the stats bucket of rule and variant names over the cap.
const reservedName = "other"

var variantName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,16}$`)

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
	if strings.TrimSpace(s) == "" {
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
