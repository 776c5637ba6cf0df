package qr

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"sync"

	"golang.org/x/image/vector"
)

// captionShades is how many palette entries the caption's anti-aliased
// edges may use between bg and fg. With bg and fg that makes 16 colours,
// which Go's encoder writes at 4 bits a pixel; an image without caption has
// two and is written at 1 bit a pixel.
const captionShades = 14

// pngCompression: BenchmarkPNGCompression on a 512 px code found the
// default level 40-65% smaller than BestSpeed (633 against 1,097 bytes
// without caption, 2.7 against 7.9 KB with one) at much the same speed
// (runs on a shared two-core machine put either ahead by up to 20%),
// because BestSpeed's cheap matcher misses the long repeats that copied
// pixel rows make. Smaller files are what the cache, the zip and the
// network hold. Best is 2-5 times slower for a few bytes.
const pngCompression = png.DefaultCompression

// pngBuffers reuses the encoder's deflate state, which is most of a
// render's allocation (about 800 KB). It holds no data between renders, so
// it is a cache of scratch memory, not package state anyone can observe.
var pngBuffers = &encoderPool{}

type encoderPool struct{ p sync.Pool }

func (e *encoderPool) Get() *png.EncoderBuffer {
	b, _ := e.p.Get().(*png.EncoderBuffer)
	return b
}

func (e *encoderPool) Put(b *png.EncoderBuffer) { e.p.Put(b) }

func renderPNG(sym symbol, o Options) ([]byte, error) {
	l, err := newLayout(len(sym.dark), o)
	if err != nil {
		return nil, err
	}
	pal := color.Palette{o.BG.rgba(), o.FG.rgba()}
	img := image.NewPaletted(image.Rect(0, 0, o.Size, o.Size+l.band), pal)
	drawModules(img, sym, l, o.Margin)
	if o.Caption != "" {
		if err := drawPNGCaption(img, o, l.band); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: pngCompression, BufferPool: pngBuffers}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// drawModules paints the dark modules as index 1 on an image whose pixels
// are all index 0 (background), one module row at a time: the row's pixels
// are built once and copied px times.
func drawModules(img *image.Paletted, sym symbol, l layout, margin int) {
	x0 := l.offset + margin*l.px
	for my, row := range sym.dark {
		y := l.offset + (margin+my)*l.px
		first := img.Pix[y*img.Stride : y*img.Stride+img.Rect.Dx()]
		for mx, dark := range row {
			if dark {
				px := first[x0+mx*l.px : x0+(mx+1)*l.px]
				for i := range px {
					px[i] = 1
				}
			}
		}
		for dy := 1; dy < l.px; dy++ {
			copy(img.Pix[(y+dy)*img.Stride:], first)
		}
	}
}

// drawPNGCaption rasterises the caption into the band at the bottom of img,
// mapping coverage onto shades between bg and fg.
func drawPNGCaption(img *image.Paletted, o Options, band int) error {
	w := img.Rect.Dx()
	r := vector.NewRasterizer(w, band)
	if err := drawCaption(r, o.Caption, 0, 0, float64(w), float64(band)); err != nil {
		return err
	}
	mask := image.NewAlpha(image.Rect(0, 0, w, band))
	r.Draw(mask, mask.Bounds(), image.Opaque, image.Point{})

	for i := 1; i <= captionShades; i++ {
		img.Palette = append(img.Palette, mix(o.BG, o.FG, float64(i)/(captionShades+1)))
	}
	top := o.Size
	for y := range band {
		dst := img.Pix[(top+y)*img.Stride:]
		for x, a := range mask.Pix[y*mask.Stride : y*mask.Stride+w] {
			dst[x] = shadeIndex(a)
		}
	}
	return nil
}

// shadeIndex maps a coverage (0 background, 255 foreground) to a palette
// index: 0 is bg, 1 is fg, 2 onwards are the shades from bg towards fg.
func shadeIndex(a uint8) uint8 {
	level := (int(a)*(captionShades+1) + 127) / 255
	switch level {
	case 0:
		return 0
	case captionShades + 1:
		return 1
	}
	return uint8(1 + level)
}

// mix is the colour t of the way from a to b.
func mix(a, b Color, t float64) color.RGBA {
	m := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t + 0.5) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 0xff}
}
