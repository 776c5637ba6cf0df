package qr

import "testing"

func TestContent(t *testing.T) {
	tests := []struct {
		in    string
		upper bool
		want  string
	}{
		{typicalURL, false, typicalURL},
		{typicalURL, true, "HTTPS://GW.EXAMPLE.COM/S/ABC12345"},
		{"https://gw.example.com/s/é_x", true, "HTTPS://GW.EXAMPLE.COM/S/é_X"},
	}
	for _, tt := range tests {
		if got := Content(tt.in, tt.upper); got != tt.want {
			t.Errorf("Content(%q, %t) = %q, want %q", tt.in, tt.upper, got, tt.want)
		}
	}
}

// TestUppercaseShrinksSymbol is the README's figure. The upper-case URL has
// 33 characters; a version 2 symbol at ECC M holds only 26 bytes in byte
// mode, so fitting it in version 2 shows that go-qrcode's optimiser chose
// alphanumeric mode for it.
func TestUppercaseShrinksSymbol(t *testing.T) {
	tests := []struct {
		ecc          ECC
		mixed, upper int
	}{
		{ECCLow, 2, 2},
		{ECCMedium, 3, 2},
		{ECCQuartile, 3, 3},
		{ECCHigh, 4, 3},
	}
	for _, tt := range tests {
		t.Run(string(tt.ecc), func(t *testing.T) {
			mixed, err := Version(Content(typicalURL, false), tt.ecc)
			if err != nil {
				t.Fatal(err)
			}
			upper, err := Version(Content(typicalURL, true), tt.ecc)
			if err != nil {
				t.Fatal(err)
			}
			if mixed != tt.mixed || upper != tt.upper {
				t.Errorf("Version at %s: mixed case %d, upper case %d; want %d, %d", tt.ecc, mixed, upper, tt.mixed, tt.upper)
			}
		})
	}
}

func TestEncodeHasNoBorder(t *testing.T) {
	sym, err := encode(typicalURL, ECCMedium)
	if err != nil {
		t.Fatal(err)
	}
	// Version 3 is 29 modules; go-qrcode's default border would add 8.
	if n := len(sym.dark); n != 17+4*sym.version {
		t.Fatalf("symbol is %d modules for version %d, want %d", n, sym.version, 17+4*sym.version)
	}
	// The top-left finder pattern starts in the very first module.
	if !sym.dark[0][0] || !sym.dark[6][6] || sym.dark[1][1] {
		t.Errorf("no finder pattern at the corner: the symbol has a border")
	}
}
