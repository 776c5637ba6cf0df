package qr

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// rendererVersion is part of every ETag. Bump it whenever the same content
// and options would render different bytes (layout, fonts, encoder), so
// that caches and browsers drop the old images.
const rendererVersion = 1

// Render draws content (a short URL, upper-cased first when o.Uppercase) as
// one PNG or SVG image. Option errors are *OptionError; content too long for
// any QR symbol wraps ErrInvalid.
func Render(content string, o Options) ([]byte, error) {
	if err := o.Validate(false); err != nil {
		return nil, err
	}
	sym, err := encode(Content(content, o.Uppercase), o.ECC)
	if err != nil {
		return nil, err
	}
	if o.Format == SVG {
		return renderSVG(sym, o)
	}
	return renderPNG(sym, o)
}

// ContentType is the media type of an image in format f, or of the print
// sheet for PDF.
func ContentType(f Format) string {
	switch f {
	case SVG:
		return "image/svg+xml"
	case PDF:
		return "application/pdf"
	}
	return "image/png"
}

// ETag is a strong entity tag, quoted as the ETag header wants it, for the
// image Render(content, o) returns: a hash of the encoded text, the options
// that change the output and rendererVersion. Options that change nothing
// (invert, which only permits a colour pair; the sheet grid) are left out,
// and uppercase counts through the text it produces.
func ETag(content string, o Options) string {
	h := sha256.New()
	// %q keeps the fields apart whatever the strings hold.
	fmt.Fprintf(h, "%d %q %s %d %s %d %s %s %q",
		rendererVersion, Content(content, o.Uppercase), o.Format, o.Size, o.ECC, o.Margin, o.FG, o.BG, o.Caption)
	return `"qr` + fmt.Sprint(rendererVersion) + "-" + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
}
