package strictjson

import (
	"errors"
	"testing"
	"time"
)

type inner struct {
	Name string `json:"name"`
}

type base struct {
	Code string `json:"code"`
}

type doc struct {
	base
	Title  string            `json:"title,omitempty"`
	N      int8              `json:"n"`
	Ratio  float64           `json:"ratio"`
	On     bool              `json:"on"`
	At     *time.Time        `json:"at"`
	Params map[string]string `json:"params"`
	Rules  []inner           `json:"rules"`
	One    *inner            `json:"one"`
	Any    any               `json:"any"`
	Hidden string            `json:"-"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		field      string // "" with syntax: the body as a whole
		syntax     bool
		ok         bool
	}{
		{name: "good", body: `{"code":"a","title":"桌","n":-5,"ratio":0.5,"on":true,"at":"2027-01-01T00:00:00+08:00",
			"params":{"x":"1"},"rules":[{"name":"r"}],"one":null,"any":{"whatever":[1]}}`, ok: true},
		{name: "embedded field", body: `{"code":"a"}`, ok: true},
		{name: "unknown field", body: `{"nope":1}`, field: "nope"},
		{name: "case matters", body: `{"Code":"a"}`, field: "Code"},
		{name: "ignored field is unknown", body: `{"Hidden":"a"}`, field: "Hidden"},
		{name: "nested unknown, with index", body: `{"rules":[{"name":"a"},{"nmae":"b"}]}`, field: "rules[1].nmae"},
		{name: "pointer struct", body: `{"one":{"x":1}}`, field: "one.x"},
		{name: "map value type", body: `{"params":{"x":1}}`, field: "params.x"},
		{name: "string for number", body: `{"n":"5"}`, field: "n"},
		{name: "number out of range", body: `{"n":300}`, field: "n"},
		{name: "fraction for int", body: `{"n":1.5}`, field: "n"},
		{name: "bool", body: `{"on":"yes"}`, field: "on"},
		{name: "time", body: `{"at":"tomorrow"}`, field: "at"},
		{name: "array for object", body: `{"one":[1]}`, field: "one"},
		{name: "object for array", body: `{"rules":{}}`, field: "rules"},
		{name: "invalid UTF-8 value", body: "{\"title\":\"\xc4\xe3\"}", field: "title"},
		{name: "invalid UTF-8 deep", body: "{\"rules\":[{\"name\":\"ok\"},{\"name\":\"\xff\"}]}", field: "rules[1].name"},
		{name: "root not an object", body: `[1]`, field: ""},
		{name: "not JSON", body: `{"code":`, syntax: true},
		{name: "two values", body: `{} {}`, syntax: true},
		{name: "empty", body: ``, syntax: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := Decode([]byte(tc.body), &d)
			if tc.ok {
				if err != nil {
					t.Fatalf("Decode(%s) = %v", tc.body, err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Decode(%s) = %v, want *Error", tc.body, err)
			}
			if se.Field != tc.field || se.Syntax != tc.syntax {
				t.Errorf("Decode(%s) = field %q syntax %v (%s), want field %q syntax %v", tc.body, se.Field, se.Syntax, se.Message, tc.field, tc.syntax)
			}
		})
	}
	var d doc
	if err := Decode([]byte(`{"code":"a","title":"桌 7","rules":[{"name":"r"}]}`), &d); err != nil || d.Code != "a" || d.Title != "桌 7" || d.Rules[0].Name != "r" {
		t.Errorf("decoded %+v, %v", d, err)
	}
	if err := Decode([]byte(`{"Code":"a"}`), &d); err == nil || err.Error() != `Code: unknown field; names are case-sensitive: did you mean "code"?` {
		t.Errorf("case hint: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"code":"a","rules":[{"name":"r"}],"params":{"x":"1"}}`)
	f.Add("{\"title\":\"\xc4\xe3\"}")
	f.Add(`{"n":1e400,"at":"2027-01-01T00:00:00Z"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var d doc
		err := Decode([]byte(body), &d)
		var se *Error
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("Decode(%q) = %v, not an *Error", body, err)
		}
	})
}

func TestLoneSurrogate(t *testing.T) {
	var d doc
	err := Decode([]byte(`{"title":"Table 12 \ud83d"}`), &d)
	var se *Error
	if !errors.As(err, &se) || se.Field != "title" {
		t.Errorf("a lone surrogate escape = %v, want an error on title", err)
	}
	if err := Decode([]byte(`{"title":"Table 12 \ud83d\ude00 \ufffd"}`), &d); err != nil || d.Title != "Table 12 😀 \ufffd" {
		t.Errorf("a whole pair and an escaped U+FFFD = %q, %v", d.Title, err)
	}
}
