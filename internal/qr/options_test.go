package qr

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseOptionsDefaults(t *testing.T) {
	got, err := ParseOptions(url.Values{})
	if err != nil {
		t.Fatalf("ParseOptions(empty) error: %v", err)
	}
	if want := DefaultOptions(); got != want {
		t.Errorf("ParseOptions(empty) = %+v, want %+v", got, want)
	}
}

func TestParseOptionsValid(t *testing.T) {
	tests := []struct {
		name  string
		query string
		check func(Options) bool
	}{
		{"svg", "format=svg", func(o Options) bool { return o.Format == SVG }},
		{"upper-case format", "format=SVG", func(o Options) bool { return o.Format == SVG }},
		{"size bounds low", "size=64", func(o Options) bool { return o.Size == 64 }},
		{"size bounds high", "size=4096", func(o Options) bool { return o.Size == 4096 }},
		{"ecc lower case", "ecc=h", func(o Options) bool { return o.ECC == ECCHigh }},
		{"margin zero", "margin=0", func(o Options) bool { return o.Margin == 0 }},
		{"margin sixteen", "margin=16", func(o Options) bool { return o.Margin == 16 }},
		{"colours with hash", "fg=%231A5FB4&bg=%23FFFFFF", func(o Options) bool { return o.FG == Color{0x1a, 0x5f, 0xb4} }},
		{"brand red", "fg=e01b24", func(o Options) bool { return o.FG == Color{0xe0, 0x1b, 0x24} }},
		{"inverted allowed", "fg=ffffff&bg=000000&invert=true", func(o Options) bool { return o.Invert }},
		{"caption chinese", "caption=" + url.QueryEscape("浦东店　12号桌"), func(o Options) bool { return o.Caption == "浦东店　12号桌" }},
		{"caption trimmed", "caption=+Table+12+", func(o Options) bool { return o.Caption == "Table 12" }},
		{"caption 64 runes", "caption=" + strings.Repeat("桌", 64), func(o Options) bool { return o.Caption != "" }},
		{"uppercase", "uppercase=1", func(o Options) bool { return o.Uppercase }},
		{"empty value is default", "size=", func(o Options) bool { return o.Size == 512 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			o, err := ParseOptions(v)
			if err != nil {
				t.Fatalf("ParseOptions(%q) error: %v", tt.query, err)
			}
			if !tt.check(o) {
				t.Errorf("ParseOptions(%q) = %+v, not what the row expects", tt.query, o)
			}
		})
	}
}

func TestParseOptionsInvalid(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		export bool
		option string
	}{
		{"size 63", "size=63", false, "size"},
		{"size 4097", "size=4097", false, "size"},
		{"size abc", "size=abc", false, "size"},
		{"size negative", "size=-512", false, "size"},
		{"ecc X", "ecc=X", false, "ecc"},
		{"ecc long", "ecc=MM", false, "ecc"},
		{"margin -1", "margin=-1", false, "margin"},
		{"margin 17", "margin=17", false, "margin"},
		{"margin 1.5", "margin=1.5", false, "margin"},
		{"fg zzzzzz", "fg=zzzzzz", false, "fg"},
		{"fg short", "fg=fff", false, "fg"},
		{"bg bad", "bg=12345g", false, "bg"},
		{"low contrast grey", "fg=999999&bg=ffffff", false, "fg"},
		{"low contrast yellow", "fg=ffff00&bg=ffffff", false, "fg"},
		{"same colour", "fg=336699&bg=336699", false, "fg"},
		{"inverted without flag", "fg=ffffff&bg=000000", false, "fg"},
		{"inverted flag false", "fg=ffffff&bg=000000&invert=false", false, "fg"},
		{"invert not bool", "invert=maybe", false, "invert"},
		{"uppercase not bool", "uppercase=yes", false, "uppercase"},
		{"caption too long", "caption=" + strings.Repeat("a", 65), false, "caption"},
		{"caption newline", "caption=a%0Ab", false, "caption"},
		{"caption control", "caption=a%07b", false, "caption"},
		{"caption bidi override", "caption=a%E2%80%AEb", false, "caption"},
		{"caption bad utf8", "caption=%FF", false, "caption"},
		{"caption no glyph", "caption=" + url.QueryEscape("한국"), false, "caption"},
		{"format gif", "format=gif", false, "format"},
		{"format pdf outside export", "format=pdf", false, "format"},
		{"unknown key", "sise=1024", false, "sise"},
		{"export key outside export", "cols=3", false, "cols"},
		{"repeated key", "size=512&size=1024", false, "size"},
		{"cols 0", "format=pdf&cols=0", true, "cols"},
		{"rows 11", "format=pdf&rows=11", true, "rows"},
		{"export unknown key", "codes=a,b", true, "codes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			parse := ParseOptions
			if tt.export {
				parse = ParseExportOptions
			}
			_, err = parse(v)
			assertOptionError(t, err, tt.option)
		})
	}
}

func TestParseExportOptions(t *testing.T) {
	v := url.Values{"format": {"pdf"}, "cols": {"2"}, "rows": {"5"}}
	o, err := ParseExportOptions(v)
	if err != nil {
		t.Fatalf("ParseExportOptions(%v) error: %v", v, err)
	}
	if o.Format != PDF || o.Cols != 2 || o.Rows != 5 {
		t.Errorf("ParseExportOptions(%v) = %+v, want pdf 2x5", v, o)
	}
}

func TestFieldsFromJSON(t *testing.T) {
	var body struct {
		Codes []string `json:"codes"`
		Fields
	}
	in := `{"codes":["a"],"format":"svg","size":1000,"ecc":"Q","margin":2,"fg":"#112233","invert":false,"uppercase":true}`
	if err := json.Unmarshal([]byte(in), &body); err != nil {
		t.Fatal(err)
	}
	o, err := body.Options()
	if err != nil {
		t.Fatalf("Options() error: %v", err)
	}
	want := DefaultOptions()
	want.Format, want.Size, want.ECC, want.Margin, want.FG, want.Uppercase = SVG, 1000, ECCQuartile, 2, Color{0x11, 0x22, 0x33}, true
	if o != want || len(body.Codes) != 1 {
		t.Errorf("decoded %+v, want %+v", o, want)
	}

	zero := 0
	_, err = Fields{Size: &zero}.Options()
	assertOptionError(t, err, "size")
	_, err = Fields{Cols: &zero}.Options()
	assertOptionError(t, err, "cols")
}

func TestContrast(t *testing.T) {
	tests := []struct {
		a, b Color
		want float64
	}{
		{Color{0, 0, 0}, Color{255, 255, 255}, 21},
		{Color{255, 255, 255}, Color{0, 0, 0}, 21},
		{Color{0x77, 0x77, 0x77}, Color{255, 255, 255}, 4.48},
		{Color{0x1a, 0x5f, 0xb4}, Color{255, 255, 255}, 6.29},
		{Color{0xe0, 0x1b, 0x24}, Color{255, 255, 255}, 4.83},
	}
	for _, tt := range tests {
		if got := contrast(tt.a, tt.b); got < tt.want-0.01 || got > tt.want+0.01 {
			t.Errorf("contrast(%v, %v) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
}

// assertOptionError checks that err wraps ErrInvalid and names option, both
// as *OptionError and through the Field interface the HTTP layer uses.
func assertOptionError(t testing.TB, err error, option string) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v does not wrap ErrInvalid", err)
	}
	var f interface{ Field() string }
	if !errors.As(err, &f) {
		t.Fatalf("error %v has no Field()", err)
	}
	if f.Field() != option {
		t.Errorf("error %v names %q, want %q", err, f.Field(), option)
	}
}
