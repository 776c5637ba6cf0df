package qr

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"
)

func BenchmarkRenderPNG512(b *testing.B) {
	o := DefaultOptions()
	for b.Loop() {
		if _, err := Render(typicalURL, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderSVG(b *testing.B) {
	o := DefaultOptions()
	o.Format = SVG
	for b.Loop() {
		if _, err := Render(typicalURL, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderPNGCaption(b *testing.B) {
	o := DefaultOptions()
	o.Caption = "浦东店 12号桌"
	for b.Loop() {
		if _, err := Render(typicalURL, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPNGCompression is the measurement behind pngCompression: the
// encoding time of each level, and the file size as the "bytes" metric.
func BenchmarkPNGCompression(b *testing.B) {
	for _, caption := range []string{"", "浦东店 12号桌"} {
		o := DefaultOptions()
		o.Caption = caption
		sym, err := encode(typicalURL, o.ECC)
		if err != nil {
			b.Fatal(err)
		}
		l, err := newLayout(len(sym.dark), o)
		if err != nil {
			b.Fatal(err)
		}
		img := image.NewPaletted(image.Rect(0, 0, o.Size, o.Size+l.band), color.Palette{o.BG.rgba(), o.FG.rgba()})
		drawModules(img, sym, l, o.Margin)
		if caption != "" {
			if err := drawPNGCaption(img, o, l.band); err != nil {
				b.Fatal(err)
			}
		}
		for _, level := range []struct {
			name  string
			level png.CompressionLevel
		}{{"BestSpeed", png.BestSpeed}, {"Default", png.DefaultCompression}, {"Best", png.BestCompression}} {
			b.Run(level.name+"/caption="+map[bool]string{false: "no", true: "yes"}[caption != ""], func(b *testing.B) {
				enc := png.Encoder{CompressionLevel: level.level}
				var buf bytes.Buffer
				for b.Loop() {
					buf.Reset()
					if err := enc.Encode(&buf, img); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(buf.Len()), "bytes")
			})
		}
	}
}

func BenchmarkCacheHit(b *testing.B) {
	c := NewCache(64<<20, nil)
	o := DefaultOptions()
	if _, _, err := c.Get(context.Background(), typicalURL, o); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := c.Get(context.Background(), typicalURL, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportZip1000 is the batch figure: 1,000 PNG codes of 512 px.
func BenchmarkExportZip1000(b *testing.B) {
	o := DefaultOptions()
	for b.Loop() {
		if err := WriteZip(io.Discard, testItems(1000), o, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExportSheet1000(b *testing.B) {
	o := DefaultOptions()
	o.Format = PDF
	for b.Loop() {
		if err := WriteSheet(io.Discard, testItems(1000), o); err != nil {
			b.Fatal(err)
		}
	}
}
