package qr

// Largest symbol and content that fit any QR symbol at every ECC level:
// version 40 is 177 modules a side, and holds 1,273 bytes at level H (more
// at lower levels, and more again for alphanumeric text).
const (
	maxSymbolModules = 17 + 4*40
	maxContentAnyECC = 1273
)

// Check reports whether Render(content, o), or a print sheet of content when
// o.Format is pdf, would succeed, without drawing: it returns the error they
// would. A batch export streams its output, so an error half-way through
// can no longer become an error response; callers check every item first.
//
// Besides the options' bounds, the only thing that can fail is the content:
// too long for any symbol, or a symbol too large for o.Size in whole pixels.
// Check encodes the content (a fifth of a millisecond) only when one of those
// is possible at all.
func Check(content string, o Options) error {
	if err := o.Validate(true); err != nil {
		return err
	}
	fitsAny := o.Format == PDF || o.Size >= maxSymbolModules+2*o.Margin
	if content != "" && len(content) <= maxContentAnyECC && fitsAny {
		return nil
	}
	sym, err := encode(Content(content, o.Uppercase), o.ECC)
	if err != nil || o.Format == PDF {
		return err
	}
	_, err = newLayout(len(sym.dark), o)
	return err
}
