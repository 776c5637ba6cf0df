package links

import "errors"

// The console's link form: its inputs are named as the bulk CSV's
// columns, and read and written by the same column code (csvcols.go).
// Unlike a CSV cell, an empty input clears its field: a form shows every
// field. The status is not in the form (pause and resume are actions),
// nor are rules, the split, visitor limits and params, which an edit keeps.

// FormFields are the form's inputs, in the CSV's order.
func FormFields() []string {
	var out []string
	for _, c := range csvColumnOrder {
		if c != "status" {
			out = append(out, c)
		}
	}
	return out
}

// FormValues are in's fields by input name ("" for one not set).
func FormValues(in *Input) map[string]string {
	out := map[string]string{}
	for _, name := range FormFields() {
		out[name] = csvColumns[name].get(in)
	}
	return out
}

// ApplyForm sets in's form fields from value (by input name), clearing
// those left empty. It returns every field that cannot be read, each a
// *FieldError, so that a form can show each next to its input.
func ApplyForm(in *Input, value func(name string) string) []error {
	in.Title, in.Campaign, in.Tags, in.FallbackURL = "", "", nil, ""
	in.StartsAt, in.ExpiresAt, in.MaxScans = nil, nil, 0
	in.Targets = Targets{}
	var errs []error
	for _, name := range FormFields() {
		v := value(name)
		if v == "" {
			continue
		}
		if err := csvColumns[name].set(in, v); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				err = invalid(name, "%s", err.Error())
			}
			errs = append(errs, err)
		}
	}
	return errs
}
