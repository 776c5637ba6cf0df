package qr

import (
	"fmt"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// pen receives glyph outlines. The PNG writer passes a vector.Rasterizer;
// the SVG writer passes a path builder, so both draw the same shapes from
// the same layout. This is what x/image/font/opentype's Face does inside
// (sfnt outlines into a vector.Rasterizer), taken one level down because a
// Face holds one font and a caption mixes two, and because the SVG needs the
// outlines themselves.
type pen interface {
	MoveTo(x, y float32)
	LineTo(x, y float32)
	QuadTo(bx, by, cx, cy float32)
	CubeTo(bx, by, cx, cy, dx, dy float32)
	ClosePath()
}

// Caption proportions within its band: the text's em is at most capEm of
// the band height and its line at most capWidth of the width; the baseline
// sits capBaseline of an em below the band's middle, which centres mixed
// Latin and CJK text by eye.
const (
	capEm       = 0.6
	capWidth    = 0.92
	capBaseline = 0.35
)

// drawCaption outlines text centred in the box (x, y, w, h), y down,
// shrinking the text to fit the width.
func drawCaption(p pen, text string, x, y, w, h float64) error {
	fs, err := loadFonts()
	if err != nil {
		return err
	}
	var buf sfnt.Buffer
	glyphs, width, err := fs.line(&buf, text)
	if err != nil {
		return err
	}
	em := h * capEm
	if width > 0 {
		em = min(em, w*capWidth/width)
	}
	left := x + (w-width*em)/2
	base := y + h/2 + em*capBaseline
	for _, g := range glyphs {
		if g.index == 0 {
			continue
		}
		if err := outlineGlyph(p, &buf, g, left+g.x*em, base, em); err != nil {
			return err
		}
	}
	return nil
}

// outlineGlyph sends one glyph's outline, scaled so one em is em units,
// with its origin at (ox, oy).
func outlineGlyph(p pen, buf *sfnt.Buffer, g glyph, ox, oy, em float64) error {
	upm := fixed.Int26_6(g.font.UnitsPerEm())
	// Loading at ppem = units per em gives coordinates in font units
	// (26.6 fixed point), which we scale ourselves in float.
	segs, err := g.font.LoadGlyph(buf, g.index, upm<<6, nil)
	if err != nil {
		return fmt.Errorf("qr: load glyph %d: %w", g.index, err)
	}
	s := em / float64(upm) / 64
	pt := func(a fixed.Point26_6) (float32, float32) {
		return float32(ox + float64(a.X)*s), float32(oy + float64(a.Y)*s)
	}
	open := false
	for _, seg := range segs {
		x0, y0 := pt(seg.Args[0])
		switch seg.Op {
		case sfnt.SegmentOpMoveTo:
			if open {
				p.ClosePath()
			}
			p.MoveTo(x0, y0)
			open = true
		case sfnt.SegmentOpLineTo:
			p.LineTo(x0, y0)
		case sfnt.SegmentOpQuadTo:
			x1, y1 := pt(seg.Args[1])
			p.QuadTo(x0, y0, x1, y1)
		case sfnt.SegmentOpCubeTo:
			x1, y1 := pt(seg.Args[1])
			x2, y2 := pt(seg.Args[2])
			p.CubeTo(x0, y0, x1, y1, x2, y2)
		}
	}
	if open {
		p.ClosePath()
	}
	return nil
}
