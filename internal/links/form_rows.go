package links

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The link form's rows: rules and A/B variants, each a group of inputs
// named under a prefix such as "rules[2]." (the inputs: form.go).

// FormRow is the prefix of row i's inputs: FormRow(FormRules, 0) is "rules[0].".
func FormRow(section string, i int) string { return fmt.Sprintf("%s[%d].", section, i) }

// maxFormRows bounds the rows a posted form may hold per section: the
// page shows at most MaxRules+1 of them.
const maxFormRows = 64

var rowKey = regexp.MustCompile(`^(rules|split\.variants)\[(\d{1,3})\]\.`)

// FormRowOf splits an input or field name of a row, such as
// "rules[2].when.city", into its section, row and rest.
func FormRowOf(name string) (section string, row int, rest string, ok bool) {
	m := rowKey.FindStringSubmatchIndex(name)
	if m == nil {
		return "", 0, "", false
	}
	row, _ = strconv.Atoi(name[m[4]:m[5]])
	return name[m[2]:m[3]], row, name[m[1]:], true
}

// FormRows is how many rows of section values holds: one past the highest
// row index among its keys.
func FormRows(values map[string]string, section string) int {
	n := 0
	for k, v := range values {
		// A row's position and zone are drawn filled in: they alone do
		// not make a row (as rowBlank has it).
		if strings.HasSuffix(k, ".position") || strings.HasSuffix(k, ".when.time.tz") {
			continue
		}
		if m := rowKey.FindStringSubmatch(k); m != nil && m[1] == section && v != "" {
			i, _ := strconv.Atoi(m[2])
			n = max(n, i+1)
		}
	}
	return min(n, maxFormRows)
}

// formRowIndexes are the row indexes of section among form's keys, in
// order; past maxFormRows rows it refuses the form.
func formRowIndexes(form url.Values, section string) ([]int, error) {
	seen := map[int]bool{}
	for k := range form {
		if m := rowKey.FindStringSubmatch(k); m != nil && m[1] == section {
			i, _ := strconv.Atoi(m[2])
			seen[i] = true
		}
	}
	if len(seen) > maxFormRows {
		return nil, invalid(section, "at most %d rows", maxFormRows)
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	slices.Sort(out)
	return out, nil
}

// rowBlank reports whether row prefix of form has nothing typed in it
// but the inputs in ignore, or is marked for removal.
func rowBlank(form url.Values, prefix string, ignore ...string) bool {
	if strings.TrimSpace(form.Get(prefix+"remove")) != "" {
		return true
	}
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || slices.Contains(ignore, rest) {
			continue
		}
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				return false
			}
		}
	}
	return true
}

// formList reads a list input: entries separated by commas (Latin or
// Chinese), '、', ';', '|' or new lines, and repeated inputs (checkboxes).
func formList(form url.Values, name string) []string {
	var out []string
	for _, v := range form[name] {
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",，、;；|\n\r", r) }) {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func formTime(form url.Values, name string, errs *[]error) *time.Time {
	v := strings.TrimSpace(form.Get(name))
	if v == "" {
		return nil
	}
	t, err := parseCSVTime(name, v)
	if err != nil {
		*errs = append(*errs, err)
	}
	return t
}

func formTargets(form url.Values, prefix string, errs *[]error) Targets {
	var in Input
	for _, n := range TargetFormFields() {
		if v := strings.TrimSpace(form.Get(prefix + n)); v != "" {
			if err := csvColumns[n].set(&in, v); err != nil {
				// The column names its error by its own name: the
				// input's is under the row's prefix.
				var fe *FieldError
				if errors.As(err, &fe) {
					renamed := *fe
					renamed.Name = prefix + fe.Name
					err = &renamed
				}
				*errs = appendErr(*errs, prefix+n, err)
			}
		}
	}
	return in.Targets
}

func applyRules(in *Input, form url.Values, oldNames map[string]bool) []error {
	rows, err := formRowIndexes(form, FormRules)
	if err != nil {
		return []error{err}
	}
	type placed struct {
		rule Rule
		pos  int
	}
	var out []placed
	var errs []error
	for _, i := range rows {
		p := FormRow(FormRules, i)
		if rowBlank(form, p, "position", "when.time.tz") {
			continue
		}
		v := func(name string) string { return strings.TrimSpace(form.Get(p + name)) }
		pos := i + 1
		if s := v("position"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				errs = append(errs, invalid(p+"position", "must be a whole number"))
			}
			pos = n
		}
		// The name as typed: it keys the rule's stats, so "night " stays
		// itself.
		r := Rule{Name: form.Get(p + "name"), FallbackURL: v("fallback_url")}
		if !oldNames[r.Name] {
			r.Name = strings.TrimSpace(r.Name)
		}
		r.When.Platform, r.When.OS = formList(form, p+"when.platform"), formList(form, p+"when.os")
		r.When.Country, r.When.Region = formList(form, p+"when.country"), formList(form, p+"when.region")
		r.When.City, r.When.Lang = formList(form, p+"when.city"), formList(form, p+"when.lang")
		if days, from, to := formList(form, p+"when.time.days"), v("when.time.from"), v("when.time.to"); len(days) > 0 || from != "" || to != "" {
			r.When.Time = &TimeWindow{TZ: v("when.time.tz"), Days: days, From: from, To: to}
		}
		r.When.After, r.When.Before = formTime(form, p+"when.after", &errs), formTime(form, p+"when.before", &errs)
		r.Targets = formTargets(form, p, &errs)
		out = append(out, placed{r, pos})
	}
	slices.SortStableFunc(out, func(a, b placed) int { return a.pos - b.pos })
	for _, r := range out {
		in.Rules = append(in.Rules, r.rule)
	}
	return errs
}

func applySplit(in *Input, form url.Values) []error {
	rows, err := formRowIndexes(form, FormVariants)
	if err != nil {
		return []error{err}
	}
	var errs []error
	var split Split
	for _, j := range rows {
		p := FormRow(FormVariants, j)
		if rowBlank(form, p) {
			continue
		}
		v := Variant{Name: strings.TrimSpace(form.Get(p + "name"))}
		if w := strings.TrimSpace(form.Get(p + "weight")); w != "" {
			n, err := strconv.Atoi(w)
			if err != nil {
				errs = append(errs, invalid(p+"weight", "must be a whole number"))
			}
			v.Weight = n
		}
		v.Targets = formTargets(form, p, &errs)
		split.Variants = append(split.Variants, v)
	}
	if len(split.Variants) > 0 {
		in.Split = &split
	}
	return errs
}
