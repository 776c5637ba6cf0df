package links

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The console's link form. Its simple inputs are named as the bulk CSV's
// columns, and read and written by the same column code (csvcols.go).
// The inputs a CSV has no column for are named as the validator names
// their fields, so that each error lands next to its input:
//
//	max_scans_per_visitor.count, max_scans_per_visitor.per
//	params                                one key=value per line
//	rules[i].name, rules[i].position, rules[i].remove
//	rules[i].when.platform, .os, .time.days   one value per checkbox
//	rules[i].when.country, .region, .city, .lang   lists: "上海, 杭州"
//	rules[i].when.time.from, .to, .tz, rules[i].when.after, .before
//	rules[i].targets.<host>.<field>, rules[i].fallback_url
//	split.variants[j].name, .weight, .remove, .targets.<host>.<field>
//
// Unlike a CSV cell, an empty input clears its field: a form shows every
// field. A rule or variant row left blank, or marked remove, is not
// stored; rules are tried in the order of their positions. The status is
// not in the form: pause and resume are actions.

// FormFields are the form's simple inputs, in the CSV's order.
func FormFields() []string {
	var out []string
	for _, c := range csvColumnOrder {
		if c != "status" {
			out = append(out, c)
		}
	}
	return out
}

// TargetFormFields are the targets' inputs (targets.<host>.<field>), which
// a rule or a variant has under its own prefix.
func TargetFormFields() []string {
	var out []string
	for _, c := range csvColumnOrder {
		if strings.HasPrefix(c, "targets.") {
			out = append(out, c)
		}
	}
	return out
}

// Form inputs a CSV has no column for.
const (
	FormVisitorCount = "max_scans_per_visitor.count"
	FormVisitorPer   = "max_scans_per_visitor.per"
	FormParams       = "params"
	FormRules        = "rules"
	FormVariants     = "split.variants"
)

// Weekdays are a time window's day names, Monday first.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// FormValues are in's fields by input name ("" for one not set); a list
// is joined with ", ", a set of checkboxes with ",".
func FormValues(in *Input) map[string]string {
	out := map[string]string{}
	for _, name := range FormFields() {
		out[name] = csvColumns[name].get(in)
	}
	if v := in.MaxScansPerVisitor; v != nil {
		out[FormVisitorCount], out[FormVisitorPer] = strconv.FormatInt(v.Count, 10), v.Per
	}
	keys := make([]string, 0, len(in.Params))
	for k := range in.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var params []string
	for _, k := range keys {
		params = append(params, k+"="+in.Params[k])
	}
	out[FormParams] = strings.Join(params, "\n")
	for i, r := range in.Rules {
		p := FormRow(FormRules, i)
		out[p+"name"], out[p+"position"], out[p+"fallback_url"] = r.Name, strconv.Itoa(i+1), r.FallbackURL
		w := r.When
		out[p+"when.platform"], out[p+"when.os"] = strings.Join(w.Platform, ","), strings.Join(w.OS, ",")
		out[p+"when.country"], out[p+"when.region"] = strings.Join(w.Country, ", "), strings.Join(w.Region, ", ")
		out[p+"when.city"], out[p+"when.lang"] = strings.Join(w.City, ", "), strings.Join(w.Lang, ", ")
		if t := w.Time; t != nil {
			out[p+"when.time.days"], out[p+"when.time.from"] = strings.Join(t.Days, ","), formClock(t.From)
			out[p+"when.time.to"], out[p+"when.time.tz"] = formClock(t.To), t.TZ
		}
		out[p+"when.after"], out[p+"when.before"] = formatTime(w.After), formatTime(w.Before)
		targetValues(out, p, r.Targets)
	}
	if s := in.Split; s != nil {
		for j, v := range s.Variants {
			p := FormRow(FormVariants, j)
			out[p+"name"], out[p+"weight"] = v.Name, strconv.Itoa(v.Weight)
			targetValues(out, p, v.Targets)
		}
	}
	return out
}

// formClock writes a time of day as a time input holds it, HH:MM, which
// browsers require (one they cannot read, such as 6:00, posts as empty);
// 24:00, a window's end by default, is left empty.
func formClock(s string) string {
	m, err := clockMinutes(s, 24*60)
	switch {
	case m == 24*60:
		return ""
	case err != nil || s == "":
		return s
	}
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

func targetValues(out map[string]string, prefix string, t Targets) {
	in := Input{Targets: t}
	for _, n := range TargetFormFields() {
		out[prefix+n] = csvColumns[n].get(&in)
	}
}

// ApplyForm sets in's form fields from a posted form, clearing those left
// empty. It returns every field that cannot be read, each a *FieldError
// named as its input, so that a form can show each next to its input.
// The stored link's own checks (Create, Update) come after, and name the
// rules and variants by their place in in, which is the form's order
// without its blank rows: a form shown again after them is drawn from
// FormValues(in).
func ApplyForm(in *Input, form url.Values) []error {
	value := func(name string) string { return strings.TrimSpace(form.Get(name)) }
	oldParams, oldRules := in.Params, map[string]bool{}
	for _, r := range in.Rules {
		oldRules[r.Name] = true
	}
	in.Title, in.Campaign, in.Tags, in.FallbackURL = "", "", nil, ""
	in.StartsAt, in.ExpiresAt, in.MaxScans = nil, nil, 0
	in.Targets, in.MaxScansPerVisitor, in.Params, in.Rules, in.Split = Targets{}, nil, nil, nil, nil
	var errs []error
	for _, name := range FormFields() {
		if v := value(name); v != "" {
			errs = appendErr(errs, name, csvColumns[name].set(in, v))
		}
	}
	if c, per := value(FormVisitorCount), value(FormVisitorPer); c != "" || per != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			errs = append(errs, invalid(FormVisitorCount, "must be a whole number"))
		}
		in.MaxScansPerVisitor = &VisitorLimit{Count: n, Per: per}
	}
	errs = append(errs, applyParams(in, form.Get(FormParams), oldParams)...)
	errs = append(errs, applyRules(in, form, oldRules)...)
	errs = append(errs, applySplit(in, form)...)
	return errs
}

func appendErr(errs []error, name string, err error) []error {
	if err == nil {
		return errs
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		err = invalid(name, "%s", err.Error())
	}
	return append(errs, err)
}

func applyParams(in *Input, text string, old map[string]string) []error {
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimLeft(strings.TrimRight(line, "\r"), " \t")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return []error{invalid(FormParams, "line %d: write one key=value per line", i+1)}
		}
		if in.Params == nil {
			in.Params = map[string]string{}
		}
		// The value as typed (a stored one may hold spaces the API took);
		// only the line's ends are its own.
		// A stored value keeps its spaces (the API took them); a typed
		// one loses those around it, as in "key = value".
		k = strings.TrimSpace(k)
		if ov, ok := old[k]; !ok || ov != v {
			v = strings.TrimSpace(v)
		}
		in.Params[k] = v
	}
	return nil
}
