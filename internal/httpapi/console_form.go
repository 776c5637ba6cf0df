package httpapi

import (
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// The link form's layout: its inputs are named as links.ApplyForm reads
// them, and each error the store gives is drawn next to the input of the
// same name.

// formField is one input of the link form.
type formField struct {
	Name, Label, Type, Value, Placeholder, Err string
	ReadOnly                                   bool
	// Options are a select's options, or a set of checkboxes (Selected:
	// checked).
	Options []selectOption
}

type fieldGroup struct {
	Legend string
	Fields []formField
	Open   bool // shown unfolded: it has a value or an error, or is the web page
}

// rowBlock is one rule or one variant of a split.
type rowBlock struct {
	Legend, Err string
	Fields      []formField
	Groups      []fieldGroup
	Open        bool
}

// linkForm is the form's part of a page.
type linkForm struct {
	consolePage
	Action, Submit, FormError string
	Basic                     []formField
	Groups                    []fieldGroup
	Rules, Variants           []rowBlock
	RulesErr, SplitErr        string
	RulesOpen, SplitOpen      bool
	CanWrite                  bool
	// Version is the link's version the form edits (none for a new
	// link): saved over a newer one, the form is shown again, not saved.
	Version int64
}

func (p linkForm) setPage(cp consolePage) any { p.consolePage = cp; return p }

// basicFields are the form's inputs outside the targets, rules and split.
var basicFields = []string{"code", "title", "campaign", "tags", "fallback_url", "starts_at", "expires_at", "max_scans",
	links.FormVisitorCount, links.FormVisitorPer, links.FormParams}

// placeholders show the expected shape of some inputs, by label key.
var placeholders = map[string]string{
	"targets.wechat.appid": "wx0123456789abcdef", "targets.web.url": "https://", "fallback_url": "https://",
	"starts_at": "2026-12-24T18:00:00+08:00", "expires_at": "2026-12-31T23:59:59+08:00", "tags": "二楼|靠窗",
	"targets.wechat.path": "pages/menu/index", "targets.alipay.appid": "2021000000000000",
	links.FormParams: "channel=poster\nstore=sh01", "rule.fallback_url": "https://",
	"when.country": "CN", "when.region": "浙江, Zhejiang", "when.city": "上海, 杭州", "when.lang": "zh, en",
	"when.time.tz": "Asia/Shanghai", "when.after": "2026-12-24T00:00:00+08:00", "when.before": "2026-12-26T00:00:00+08:00",
	"variant.name": "A", "variant.weight": "50",
}

// inputTypes are the inputs that are not text, by label key.
var inputTypes = map[string]string{
	"max_scans": "number", links.FormVisitorCount: "number", links.FormVisitorPer: "select", links.FormParams: "textarea",
	"rule.position": "number", "rule.remove": "checkbox", "variant.remove": "checkbox", "variant.weight": "number",
	"when.platform": "checkboxes", "when.os": "checkboxes", "when.time.days": "checkboxes",
	"when.time.from": "time", "when.time.to": "time", "fallback_url": "url", "rule.fallback_url": "url", "targets.web.url": "url",
}

// formBuilder draws fields from values, taking each field's error out of
// errs as it goes, so that what is left has no input of its own.
type formBuilder struct {
	t            consoleText
	values, errs map[string]string
	missing      []string // text keys t lacks (TestConsoleFormTexts)
}

// text is t[key], or fallback when t has none.
func (b *formBuilder) text(key, fallback string) string {
	if s := b.t[key]; s != "" {
		return s
	}
	b.missing = append(b.missing, key)
	return fallback
}

func (b *formBuilder) field(name, key string) formField {
	f := formField{Name: name, Label: b.text("f_"+key, key), Type: inputTypes[key], Value: b.values[name], Placeholder: placeholders[key], Err: b.errs[name]}
	delete(b.errs, name)
	if f.Type == "" {
		f.Type = "text"
	}
	var choices []string
	prefix := ""
	switch key {
	case links.FormVisitorPer:
		choices, prefix = []string{"", links.PerHour, links.PerDay}, "per_"
	case "when.platform":
		choices, prefix = platform.AppNames(), "p_"
	case "when.os":
		choices, prefix = platform.OSNames(), "os_"
	case "when.time.days":
		choices, prefix = links.Weekdays, "day_"
	}
	checked := strings.Split(f.Value, ",")
	for _, c := range choices {
		f.Options = append(f.Options, selectOption{Value: c, Label: b.text(prefix+c, c), Selected: slices.ContainsFunc(checked, func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), c) })})
	}
	return f
}

// targetGroups are the targets' inputs under prefix, a group per host;
// open marks the hosts unfolded when empty.
func (b *formBuilder) targetGroups(prefix string, open ...string) []fieldGroup {
	groups := map[string]*fieldGroup{}
	var order []string
	for _, n := range links.TargetFormFields() {
		host, _, _ := strings.Cut(strings.TrimPrefix(n, "targets."), ".")
		if groups[host] == nil {
			groups[host] = &fieldGroup{Legend: b.text("host_"+host, host), Open: slices.Contains(open, host)}
			order = append(order, host)
		}
		ff := b.field(prefix+n, n)
		groups[host].Fields = append(groups[host].Fields, ff)
		groups[host].Open = groups[host].Open || ff.Value != "" || ff.Err != ""
	}
	out := make([]fieldGroup, len(order))
	for i, h := range order {
		out[i] = *groups[h]
	}
	return out
}

// buildForm lays the form out with values and errors by input name, and
// general, the form's own message.
func buildForm(t consoleText, values, errs map[string]string, general string, codeFixed bool) linkForm {
	f, _ := layoutForm(t, values, errs, general, codeFixed)
	return f
}

// layoutForm is buildForm, also returning the text keys t lacks.
func layoutForm(t consoleText, values, errs map[string]string, general string, codeFixed bool) (linkForm, []string) {
	b := &formBuilder{t: t, values: values, errs: maps.Clone(errs)}
	var f linkForm
	for _, n := range basicFields {
		ff := b.field(n, n)
		ff.ReadOnly = n == "code" && codeFixed
		f.Basic = append(f.Basic, ff)
	}
	f.Groups = b.targetGroups("", "web", "wechat")

	rules := links.FormRows(values, links.FormRules)
	for i := range rowsToShow(rules, 1, links.MaxRules) {
		p := links.FormRow(links.FormRules, i)
		r := rowBlock{Legend: b.text("rule", "rule") + " " + strconv.Itoa(i+1)}
		if name := values[p+"name"]; name != "" {
			r.Legend += "：" + name
		} else if i >= rules {
			r.Legend = b.text("new_rule", "+")
		}
		keys := []string{"name", "position", "when.platform", "when.os", "when.region", "when.city", "when.country", "when.lang",
			"when.time.days", "when.time.from", "when.time.to", "when.time.tz", "when.after", "when.before", "fallback_url"}
		if i < rules {
			keys = append(keys, "remove")
		}
		for _, k := range keys {
			key := k
			if !strings.HasPrefix(k, "when.") {
				key = "rule." + k
			}
			ff := b.field(p+k, key)
			if k == "position" && ff.Value == "" {
				ff.Value = strconv.Itoa(i + 1) // its place, unless moved
			}
			r.Fields = append(r.Fields, ff)
		}
		r.Groups = b.targetGroups(p)
		f.Rules = append(f.Rules, r)
	}
	variants := links.FormRows(values, links.FormVariants)
	for j := range rowsToShow(variants, links.MinVariants, links.MaxVariants) {
		p := links.FormRow(links.FormVariants, j)
		v := rowBlock{Legend: b.text("variant", "variant") + " " + strconv.Itoa(j+1)}
		if name := values[p+"name"]; name != "" {
			v.Legend += "：" + name
		}
		keys := []string{"name", "weight"}
		if j < variants {
			keys = append(keys, "remove")
		}
		for _, k := range keys {
			v.Fields = append(v.Fields, b.field(p+k, "variant."+k))
		}
		v.Groups = b.targetGroups(p)
		f.Variants = append(f.Variants, v)
	}
	f.FormError = general
	if more := b.placeLeftovers(&f); more != "" {
		f.FormError = strings.TrimPrefix(f.FormError+"; "+more, "; ")
	}
	f.RulesOpen = rules > 0 || f.RulesErr != ""
	f.SplitOpen = variants > 0 || f.SplitErr != ""
	for i := range f.Rules {
		f.Rules[i].Open = f.Rules[i].Open || blockHasError(f.Rules[i])
		f.RulesOpen = f.RulesOpen || f.Rules[i].Open
	}
	for i := range f.Variants {
		f.Variants[i].Open = f.Variants[i].Open || blockHasError(f.Variants[i])
		f.SplitOpen = f.SplitOpen || f.Variants[i].Open
	}
	return f, b.missing
}

// rowsToShow is the rows drawn for a section with n rows: those, and
// blank ones to fill in (one more, and at least least), within most.
func rowsToShow(n, least, most int) int {
	if n >= most {
		return n
	}
	return min(max(n+1, least), most)
}

func blockHasError(b rowBlock) bool {
	if b.Err != "" {
		return true
	}
	for _, f := range b.Fields {
		if f.Err != "" {
			return true
		}
	}
	for _, g := range b.Groups {
		for _, f := range g.Fields {
			if f.Err != "" {
				return true
			}
		}
	}
	return false
}

// placeLeftovers puts each error without an input of its own in the
// nearest place that shows it, and returns the form's own message.
func (b *formBuilder) placeLeftovers(f *linkForm) string {
	names := make([]string, 0, len(b.errs))
	for n := range b.errs {
		names = append(names, n)
	}
	slices.Sort(names)
	var general []string
	add := func(s *string, msg string) {
		if *s != "" {
			*s += "; "
		}
		*s += msg
	}
	for _, name := range names {
		msg := b.errs[name]
		section, row, rest, isRow := links.FormRowOf(name)
		switch {
		case strings.HasPrefix(name, links.FormParams):
			add(&f.Basic[slices.IndexFunc(f.Basic, func(x formField) bool { return x.Name == links.FormParams })].Err, name+": "+msg)
		case isRow && section == links.FormRules && row < len(f.Rules):
			add(&f.Rules[row].Err, rest+": "+msg)
		case isRow && section == links.FormVariants && row < len(f.Variants):
			add(&f.Variants[row].Err, rest+": "+msg)
		case strings.HasPrefix(name, links.FormRules):
			add(&f.RulesErr, msg)
		case strings.HasPrefix(name, "split"):
			add(&f.SplitErr, msg)
		case strings.HasPrefix(name, "targets"):
			web := &f.Groups[len(f.Groups)-1].Fields[0] // targets.web.url, the last group
			add(&web.Err, name+": "+msg)
			f.Groups[len(f.Groups)-1].Open = true
		default:
			general = append(general, name+": "+msg)
		}
	}
	return strings.Join(general, "; ")
}

// formMessage is the console's own word on a form, shown above it.
type formMessage string

func (m formMessage) Error() string { return string(m) }

// formErrors splits errors into field errors, by name, and the form's own
// message.
func formErrors(errs []error, lang string) (map[string]string, string) {
	t := consoleTexts[lang]
	byField := map[string]string{}
	var general []string
	for _, err := range errs {
		var fe *links.FieldError
		switch {
		case errors.As(err, &fe):
			byField[fe.Name] = fieldMessage(fe, lang)
		case errors.Is(err, links.ErrExists):
			byField["code"] = t["code_taken"]
		case errors.Is(err, links.ErrInTrash):
			byField["code"] = t["code_in_trash"]
		case errors.As(err, new(formMessage)):
			general = append(general, err.Error())
		default:
			_, body := classify(err)
			general = append(general, body.Message)
		}
	}
	return byField, strings.Join(general, "; ")
}

// postedValues are a posted form's values by input name, to draw it again
// as it was typed; a set of checkboxes is joined with ",".
func postedValues(form url.Values) map[string]string {
	out := make(map[string]string, len(form))
	for k, vs := range form {
		out[k] = strings.Join(vs, ",")
	}
	return out
}
