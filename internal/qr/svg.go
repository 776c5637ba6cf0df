package qr

import (
	"bytes"
	"encoding/xml"
	"strconv"
)

// renderSVG writes the symbol as one path of merged horizontal runs in a
// viewBox measured in modules, so the file is a few kilobytes whatever the
// size, and scales to any print size without blur.
//
// A caption is drawn as glyph outlines, not <text>: the viewer of a printed
// sign's SVG (a print shop's RIP, a design tool on a machine without a
// Chinese font) would otherwise substitute another font or show empty
// boxes, and the layout would differ from the PNG. Outlines cost a few
// kilobytes per caption; the caption's text is kept in <title>.
func renderSVG(sym symbol, o Options) ([]byte, error) {
	// Vector modules need no whole pixels, but the same options must not
	// pass as SVG and fail as PNG: below a pixel a module does not scan on
	// screen either.
	if _, err := newLayout(len(sym.dark), o); err != nil {
		return nil, err
	}
	m := len(sym.dark) + 2*o.Margin
	// The caption band keeps the PNG's proportions: band/size of the width.
	band := 0.0
	heightPx := o.Size
	if o.Caption != "" {
		b := captionBand(o.Size)
		heightPx += b
		band = float64(m) * float64(b) / float64(o.Size)
	}
	var w svgWriter
	w.str(`<svg xmlns="http://www.w3.org/2000/svg" width="`)
	w.int(o.Size)
	w.str(`" height="`)
	w.int(heightPx)
	w.str(`" viewBox="0 0 `)
	w.int(m)
	w.byte(' ')
	w.float(float64(m) + band)
	w.str(`" shape-rendering="crispEdges">`)
	if o.Caption != "" {
		w.str("<title>")
		xml.EscapeText(&w.b, []byte(o.Caption))
		w.str("</title>")
	}
	w.str(`<rect width="100%" height="100%" fill="#`)
	w.str(o.BG.String())
	w.str(`"/><path fill="#`)
	w.str(o.FG.String())
	w.str(`" d="`)
	writeModulePath(&w, sym, o.Margin)
	w.str(`"/>`)
	if o.Caption != "" {
		// Text is curved: crispEdges would make it jagged.
		w.str(`<path fill="#`)
		w.str(o.FG.String())
		w.str(`" shape-rendering="geometricPrecision" d="`)
		if err := drawCaption(&w, o.Caption, 0, float64(m), float64(m), band); err != nil {
			return nil, err
		}
		w.str(`"/>`)
	}
	w.str("</svg>\n")
	return w.b.Bytes(), nil
}

// writeModulePath writes one subpath per horizontal run of dark modules,
// "M x y h w v1 h-w z", in the absolute module coordinates of the viewBox.
func writeModulePath(w *svgWriter, sym symbol, margin int) {
	for y, row := range sym.dark {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			w.byte('M')
			w.int(start + margin)
			w.byte(' ')
			w.int(y + margin)
			w.byte('h')
			w.int(x - start)
			w.str("v1h-")
			w.int(x - start)
			w.byte('z')
		}
	}
}

// svgWriter builds the document; as a pen it writes caption outlines as
// path data.
type svgWriter struct {
	b   bytes.Buffer
	num []byte
}

func (w *svgWriter) str(s string) { w.b.WriteString(s) }
func (w *svgWriter) byte(c byte)  { w.b.WriteByte(c) }
func (w *svgWriter) int(n int)    { w.num = strconv.AppendInt(w.num[:0], int64(n), 10); w.b.Write(w.num) }

// float writes v with at most two decimals: a hundredth of a module is
// finer than any printer resolves.
func (w *svgWriter) float(v float64) {
	w.num = strconv.AppendFloat(w.num[:0], v, 'f', 2, 64)
	w.num = bytes.TrimRight(w.num, "0")
	w.num = bytes.TrimSuffix(w.num, []byte("."))
	if len(w.num) == 0 || string(w.num) == "-" {
		w.num = append(w.num[:0], '0')
	}
	w.b.Write(w.num)
}

func (w *svgWriter) point(c byte, xy ...float32) {
	w.byte(c)
	for i, v := range xy {
		if i > 0 {
			w.byte(' ')
		}
		w.float(float64(v))
	}
}

func (w *svgWriter) MoveTo(x, y float32)                   { w.point('M', x, y) }
func (w *svgWriter) LineTo(x, y float32)                   { w.point('L', x, y) }
func (w *svgWriter) QuadTo(bx, by, cx, cy float32)         { w.point('Q', bx, by, cx, cy) }
func (w *svgWriter) CubeTo(bx, by, cx, cy, dx, dy float32) { w.point('C', bx, by, cx, cy, dx, dy) }
func (w *svgWriter) ClosePath()                            { w.byte('Z') }
