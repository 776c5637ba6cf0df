package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"
)

const typicalURL = "https://gw.example.com/s/AbC12345"

func TestRenderPNGRoundTrip(t *testing.T) {
	colours := []struct {
		name   string
		fg, bg Color
		invert bool
	}{
		{"black on white", Color{0, 0, 0}, Color{255, 255, 255}, false},
		{"brand blue on white", Color{0x1a, 0x5f, 0xb4}, Color{255, 255, 255}, false},
		{"dark green on cream", Color{0x0b, 0x3d, 0x2e}, Color{0xff, 0xf8, 0xe1}, false},
		{"white on navy inverted", Color{255, 255, 255}, Color{0x10, 0x1f, 0x4d}, true},
	}
	captions := []string{"", "浦东店 12号桌"}
	i := 0
	for _, ecc := range []ECC{ECCLow, ECCMedium, ECCQuartile, ECCHigh} {
		for _, size := range []int{64, 512, 1000} {
			for _, c := range colours {
				// Captions and upper-casing alternate across the rows, so
				// each meets every level, size and colour pair.
				caption, upper := captions[i%2], i/2%2 == 1
				i++
				name := fmt.Sprintf("%s/%d/%s/caption=%t/upper=%t", ecc, size, c.name, caption != "", upper)
				t.Run(name, func(t *testing.T) {
					o := DefaultOptions()
					o.ECC, o.Size, o.FG, o.BG, o.Invert, o.Caption, o.Uppercase = ecc, size, c.fg, c.bg, c.invert, caption, upper
					data, err := Render(typicalURL, o)
					if err != nil {
						t.Fatalf("Render error: %v", err)
					}
					checkPNGPixels(t, data, typicalURL, o)
					if got, want := decodePNG(t, data, c.invert), Content(typicalURL, upper); got != want {
						t.Errorf("decoded %q, want %q", got, want)
					}
				})
			}
		}
	}
}

// TestInvertedNeedsInvertedDecoder shows why decodePNG inverts light-on-dark
// codes: gozxing's QR reader does not find them as they are.
func TestInvertedNeedsInvertedDecoder(t *testing.T) {
	o := DefaultOptions()
	o.FG, o.BG, o.Invert = Color{255, 255, 255}, Color{0, 0, 0}, true
	data, err := Render(typicalURL, o)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if text, err := decodeImage(img, false); err == nil {
		t.Errorf("gozxing decoded an inverted code as is (%q): decodePNG's inversion is no longer needed", text)
	}
}

// checkPNGPixels compares every pixel of the code area with what the symbol
// says: exact dimensions, the symbol centred with whole-pixel modules, each
// module uniform, and only background around it.
func checkPNGPixels(t testing.TB, data []byte, content string, o Options) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	sym, err := encode(Content(content, o.Uppercase), o.ECC)
	if err != nil {
		t.Fatal(err)
	}
	n := len(sym.dark)
	px := o.Size / (n + 2*o.Margin)
	off := (o.Size-px*(n+2*o.Margin))/2 + o.Margin*px
	wantH := o.Size
	if o.Caption != "" {
		wantH += captionBand(o.Size)
	}
	if b := img.Bounds(); b.Dx() != o.Size || b.Dy() != wantH {
		t.Fatalf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), o.Size, wantH)
	}
	fg, bg := o.FG.rgba(), o.BG.rgba()
	for y := range o.Size {
		for x := range o.Size {
			want := bg
			mx, my := (x-off)/px, (y-off)/px
			if x >= off && y >= off && mx < n && my < n && sym.dark[my][mx] {
				want = fg
			}
			if got := color.RGBAModel.Convert(img.At(x, y)); got != want {
				t.Fatalf("pixel (%d,%d) = %v, want %v (module px %d, offset %d)", x, y, got, want, px, off)
			}
		}
	}
}

func TestRenderSizeTooSmall(t *testing.T) {
	for _, f := range []Format{PNG, SVG} {
		o := DefaultOptions()
		o.Format, o.Size, o.Margin, o.ECC = f, 64, 16, ECCHigh
		_, err := Render(typicalURL, o)
		assertOptionError(t, err, "size")
	}
}

func TestRenderRefuses(t *testing.T) {
	tests := []struct {
		name    string
		content string
		o       func(*Options)
	}{
		{"pdf", typicalURL, func(o *Options) { o.Format = PDF }},
		{"zero options", typicalURL, func(o *Options) { *o = Options{} }},
		{"empty content", "", func(*Options) {}},
		{"content too long", string(bytes.Repeat([]byte("x"), 3000)), func(*Options) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := DefaultOptions()
			tt.o(&o)
			if _, err := Render(tt.content, o); err == nil {
				t.Errorf("Render succeeded, want an error")
			}
		})
	}
}

func TestPNGIsPaletted(t *testing.T) {
	for _, caption := range []string{"", "Table 12"} {
		o := DefaultOptions()
		o.Caption = caption
		data, err := Render(typicalURL, o)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		p, ok := img.(*image.Paletted)
		if !ok {
			t.Fatalf("caption %q: image is %T, want *image.Paletted", caption, img)
		}
		if max := 2 + captionShades; len(p.Palette) > max || (caption == "" && len(p.Palette) != 2) {
			t.Errorf("caption %q: palette has %d colours", caption, len(p.Palette))
		}
	}
}

func TestETag(t *testing.T) {
	base := DefaultOptions()
	tag := ETag(typicalURL, base)
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		t.Fatalf("ETag = %s, want a quoted strong tag", tag)
	}
	changes := map[string]func(*Options){
		"format":  func(o *Options) { o.Format = SVG },
		"size":    func(o *Options) { o.Size = 513 },
		"ecc":     func(o *Options) { o.ECC = ECCHigh },
		"margin":  func(o *Options) { o.Margin = 2 },
		"fg":      func(o *Options) { o.FG = Color{1, 2, 3} },
		"bg":      func(o *Options) { o.BG = Color{250, 250, 250} },
		"caption": func(o *Options) { o.Caption = "x" },
		"upper":   func(o *Options) { o.Uppercase = true },
	}
	for name, change := range changes {
		o := base
		change(&o)
		if ETag(typicalURL, o) == tag {
			t.Errorf("ETag ignores %s", name)
		}
	}
	same := base
	same.Invert, same.Cols = true, 7
	if ETag(typicalURL, same) != tag {
		t.Errorf("ETag changes with options that do not change the image")
	}
	if ETag(typicalURL+"x", base) == tag {
		t.Errorf("ETag ignores the content")
	}
	up := base
	up.Uppercase = true
	if ETag(typicalURL, up) != ETag(Content(typicalURL, true), up) {
		t.Errorf("ETag differs for content that encodes the same")
	}
}

func TestContentType(t *testing.T) {
	for f, want := range map[Format]string{PNG: "image/png", SVG: "image/svg+xml", PDF: "application/pdf"} {
		if got := ContentType(f); got != want {
			t.Errorf("ContentType(%s) = %q, want %q", f, got, want)
		}
	}
}
