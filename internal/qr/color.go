package qr

import (
	"fmt"
	"image/color"
	"math"
	"strings"
)

// minContrast is the least WCAG 2 contrast ratio between fg and bg that we
// accept. WCAG asks 4.5:1 of body text; a QR module is a far larger target
// than a letter stroke, but phone cameras binarise with a global or local
// threshold under poor light and cheap printers lighten dark inks and
// darken paper, so we keep a margin well above what a scanner needs on a
// screen. 4:1 still lets brand colours through (#1a5fb4 blue on white is
// about 6.3:1, #e01b24 red on white about 4.8:1) while refusing the pastel
// and mid-grey pairs that fail in the field.
const minContrast = 4.0

// Color is an opaque sRGB colour. Its text form is six lower-case hex digits.
type Color struct{ R, G, B uint8 }

// String returns the colour as six lower-case hex digits, without '#'.
func (c Color) String() string { return fmt.Sprintf("%02x%02x%02x", c.R, c.G, c.B) }

// rgba is the colour for drawing. (Not RGBA: Color is no color.Color.)
func (c Color) rgba() color.RGBA { return color.RGBA{c.R, c.G, c.B, 0xff} }

// parseColor reads six hex digits, with an optional leading '#' because that
// is how designers copy colours.
func parseColor(s string) (Color, bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 {
		return Color{}, false
	}
	var b [3]uint8
	for i := range b {
		hi, ok1 := hexDigit(s[2*i])
		lo, ok2 := hexDigit(s[2*i+1])
		if !ok1 || !ok2 {
			return Color{}, false
		}
		b[i] = hi<<4 | lo
	}
	return Color{b[0], b[1], b[2]}, true
}

func hexDigit(c byte) (uint8, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// luminance is the WCAG 2 relative luminance of c, from 0 (black) to 1.
func (c Color) luminance() float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// contrast is the WCAG 2 contrast ratio of a and b, from 1 to 21,
// the same whichever is lighter.
func contrast(a, b Color) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
