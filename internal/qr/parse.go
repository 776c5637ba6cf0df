package qr

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Fields is the wire form of the options, before validation: what a JSON
// body says. Absent fields take their defaults. The HTTP layer may embed it
// in a request body struct (it has no JSON methods of its own, so embedding
// does not take over the outer decoding).
type Fields struct {
	Format    string `json:"format,omitempty"`
	Size      *int   `json:"size,omitempty"`
	ECC       string `json:"ecc,omitempty"`
	Margin    *int   `json:"margin,omitempty"`
	FG        string `json:"fg,omitempty"`
	BG        string `json:"bg,omitempty"`
	Caption   string `json:"caption,omitempty"`
	Invert    *bool  `json:"invert,omitempty"`
	Uppercase *bool  `json:"uppercase,omitempty"`
	Cols      *int   `json:"cols,omitempty"`
	Rows      *int   `json:"rows,omitempty"`
}

// optionKeys are the query keys of one image, plus the print sheet's grid
// for an export.
func optionKeys(export bool) []string {
	keys := []string{"format", "size", "ecc", "margin", "fg", "bg", "caption", "invert", "uppercase"}
	if export {
		keys = append(keys, "cols", "rows")
	}
	return keys
}

// ParseOptions reads the options of one image from a query string: format
// (png or svg), size, ecc, margin, fg, bg, caption, invert and uppercase.
// Missing or empty keys take their defaults. Any other key, or a key given
// twice, is an error naming it, so a typo such as "sise=1024" is not
// silently ignored; a caller whose query carries keys of its own must remove
// them from a copy first. Every error is an *OptionError wrapping ErrInvalid.
func ParseOptions(v url.Values) (Options, error) {
	f, err := fieldsFromQuery(v, optionKeys(false))
	if err != nil {
		return Options{}, err
	}
	return f.options(false)
}

// ParseExportOptions is ParseOptions for a batch export: format may also be
// pdf, and cols and rows set the print sheet's grid.
func ParseExportOptions(v url.Values) (Options, error) {
	f, err := fieldsFromQuery(v, optionKeys(true))
	if err != nil {
		return Options{}, err
	}
	return f.options(true)
}

// Options validates f as the options of one image, as ParseOptions does.
func (f Fields) Options() (Options, error) {
	if f.Cols != nil || f.Rows != nil {
		name := "cols"
		if f.Cols == nil {
			name = "rows"
		}
		return Options{}, optionErr(name, "only applies to a pdf export")
	}
	return f.options(false)
}

// ExportOptions validates f as the options of a batch export, as
// ParseExportOptions does.
func (f Fields) ExportOptions() (Options, error) { return f.options(true) }

func (f Fields) options(allowPDF bool) (Options, error) {
	o := DefaultOptions()
	if f.Format != "" {
		o.Format = Format(strings.ToLower(f.Format))
	}
	if f.ECC != "" {
		o.ECC = ECC(strings.ToUpper(f.ECC))
	}
	setInt(&o.Size, f.Size)
	setInt(&o.Margin, f.Margin)
	setInt(&o.Cols, f.Cols)
	setInt(&o.Rows, f.Rows)
	if f.Invert != nil {
		o.Invert = *f.Invert
	}
	if f.Uppercase != nil {
		o.Uppercase = *f.Uppercase
	}
	for _, c := range []struct {
		name, text string
		dst        *Color
	}{{"fg", f.FG, &o.FG}, {"bg", f.BG, &o.BG}} {
		if c.text == "" {
			continue
		}
		col, ok := parseColor(c.text)
		if !ok {
			return Options{}, optionErr(c.name, "must be six hex digits such as 1a2b3c")
		}
		*c.dst = col
	}
	o.Caption = strings.TrimSpace(f.Caption)
	if err := o.Validate(allowPDF); err != nil {
		return Options{}, err
	}
	return o, nil
}

func setInt(dst *int, v *int) {
	if v != nil {
		*dst = *v
	}
}

func fieldsFromQuery(v url.Values, known []string) (Fields, error) {
	var f Fields
	// Sorted, so that of several bad keys the same one is reported each time.
	for _, key := range slices.Sorted(maps.Keys(v)) {
		vals := v[key]
		if !slices.Contains(known, key) {
			return Fields{}, optionErr(key, "is not an option; options are %s", strings.Join(known, ", "))
		}
		if len(vals) > 1 {
			return Fields{}, optionErr(key, "is given %d times", len(vals))
		}
	}
	str := func(key string) string { return v.Get(key) }
	var err error
	num := func(key string) *int {
		s := str(key)
		if s == "" || err != nil {
			return nil
		}
		n, e := strconv.Atoi(s)
		if e != nil {
			err = optionErr(key, "must be a whole number")
			return nil
		}
		return &n
	}
	flag := func(key string) *bool {
		s := str(key)
		if s == "" || err != nil {
			return nil
		}
		b, e := strconv.ParseBool(s)
		if e != nil {
			err = optionErr(key, "must be true or false")
			return nil
		}
		return &b
	}
	f = Fields{
		Format: str("format"), Size: num("size"), ECC: str("ecc"), Margin: num("margin"),
		FG: str("fg"), BG: str("bg"), Caption: str("caption"),
		Invert: flag("invert"), Uppercase: flag("uppercase"),
		Cols: num("cols"), Rows: num("rows"),
	}
	return f, err
}
