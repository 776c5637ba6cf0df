package qr

import (
	_ "embed" // the CJK font file
	"fmt"
	"sync"
	"unicode"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// droidSansFallback covers Chinese (simplified and traditional), Japanese
// kana and CJK punctuation, but no Latin letters or digits: it is a fallback
// font by design. Apache License 2.0; see fonts/.
//
//go:embed fonts/DroidSansFallbackFull.ttf
var droidSansFallback []byte

// fontSet is the caption typeface: Go Regular for Latin (and the other
// scripts it covers), Droid Sans Fallback for everything Go lacks.
type fontSet struct {
	latin, cjk *sfnt.Font
}

// loadFonts parses the embedded fonts once per process. It is package
// state only in the sense of a lazily computed constant: the fonts never
// change after parsing, and sfnt.Font is safe for concurrent use when each
// caller brings its own sfnt.Buffer.
var loadFonts = sync.OnceValues(func() (*fontSet, error) {
	latin, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("qr: parse Go Regular: %w", err)
	}
	cjk, err := sfnt.Parse(droidSansFallback)
	if err != nil {
		return nil, fmt.Errorf("qr: parse Droid Sans Fallback: %w", err)
	}
	return &fontSet{latin: latin, cjk: cjk}, nil
})

// glyph is one character of a caption, placed on the line in em units.
type glyph struct {
	font  *sfnt.Font
	index sfnt.GlyphIndex // 0 for a space drawn as advance only
	x     float64         // pen position from the line's start, in em
}

// line lays text out on one line, choosing a font per character.
// It returns the glyphs and the line's width in em.
func (fs *fontSet) line(buf *sfnt.Buffer, text string) ([]glyph, float64, error) {
	var (
		out []glyph
		x   float64
	)
	for _, r := range text {
		f, idx, err := fs.find(buf, r)
		if err != nil {
			return nil, 0, err
		}
		adv := spaceAdvance(r)
		if idx != 0 {
			upm := fixed.Int26_6(f.UnitsPerEm())
			a, err := f.GlyphAdvance(buf, idx, upm<<6, 0)
			if err != nil {
				return nil, 0, fmt.Errorf("qr: glyph advance of %q: %w", r, err)
			}
			adv = float64(a) / 64 / float64(upm)
		}
		out = append(out, glyph{font: f, index: idx, x: x})
		x += adv
	}
	return out, x, nil
}

// find returns the font and glyph for r. A space that neither font has is
// drawn as its advance alone; any other missing character is an error,
// because a printed box in place of a shop's name is worse than a refusal.
func (fs *fontSet) find(buf *sfnt.Buffer, r rune) (*sfnt.Font, sfnt.GlyphIndex, error) {
	for _, f := range []*sfnt.Font{fs.latin, fs.cjk} {
		idx, err := f.GlyphIndex(buf, r)
		if err != nil {
			return nil, 0, fmt.Errorf("qr: glyph index of %q: %w", r, err)
		}
		if idx != 0 {
			return f, idx, nil
		}
	}
	if unicode.IsSpace(r) {
		return fs.latin, 0, nil
	}
	return nil, 0, optionErr("caption", "has a character %q that no embedded font can print", r)
}

// spaceAdvance is the width in em of a space character neither font has.
func spaceAdvance(r rune) float64 {
	if r == '\u3000' { // ideographic space is as wide as a CJK character
		return 1
	}
	return 0.25
}

// checkGlyphs reports a character of s that no embedded font can draw.
func checkGlyphs(s string) error {
	if s == "" {
		return nil
	}
	fs, err := loadFonts()
	if err != nil {
		return err
	}
	var buf sfnt.Buffer
	for _, r := range s {
		if _, _, err := fs.find(&buf, r); err != nil {
			return err
		}
	}
	return nil
}
