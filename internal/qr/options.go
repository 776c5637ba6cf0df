package qr

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid is wrapped by every error about a bad option or content that
// cannot be rendered: the request was well formed but cannot be honoured.
var ErrInvalid = errors.New("qr: invalid")

// OptionError is a bad option value. The HTTP layer finds the option through
// Field and shows Message to the client, so Message never holds internal
// detail.
type OptionError struct {
	Option  string // the option's name as in the query string, e.g. "size"
	Message string // what is wrong, safe to show
}

func (e *OptionError) Error() string { return "qr: option " + e.Option + ": " + e.Message }

// Reason is the message alone, for clients.
func (e *OptionError) Reason() string { return e.Message }

// Unwrap makes errors.Is(err, ErrInvalid) hold for every option error.
func (e *OptionError) Unwrap() error { return ErrInvalid }

// Field is the option at fault, for the HTTP layer's error body.
func (e *OptionError) Field() string { return e.Option }

func optionErr(option, format string, args ...any) error {
	return &OptionError{Option: option, Message: fmt.Sprintf(format, args...)}
}

// Format is an output format.
type Format string

// The formats. PDF is a print sheet and exists only for batch export.
const (
	PNG Format = "png"
	SVG Format = "svg"
	PDF Format = "pdf"
)

// ECC is a QR error-correction level: the share of the symbol that may be
// damaged or covered and still decode (L 7%, M 15%, Q 25%, H 30%).
type ECC string

// The error-correction levels.
const (
	ECCLow      ECC = "L"
	ECCMedium   ECC = "M"
	ECCQuartile ECC = "Q"
	ECCHigh     ECC = "H"
)

// Bounds of the options, as in the API contract.
const (
	MinSize          = 64
	MaxSize          = 4096
	MaxMargin        = 16
	MaxCaptionRunes  = 64
	MaxGrid          = 10 // most columns or rows on a print sheet
	defaultSize      = 512
	defaultMargin    = 4 // ISO/IEC 18004 asks a quiet zone of four modules
	defaultSheetCols = 3
	defaultSheetRows = 4
)

// Options shape one image, or every image of an export. Build them with
// DefaultOptions, ParseOptions or Fields; a zero Options is invalid.
type Options struct {
	Format  Format
	Size    int // width in pixels of the image (PNG) or its nominal size (SVG)
	ECC     ECC
	Margin  int // quiet zone in modules on each side
	FG, BG  Color
	Caption string // a line of text under the code; empty for none
	// Invert allows a foreground lighter than the background. Some old
	// scanners cannot read light-on-dark, so it must be asked for.
	Invert bool
	// Uppercase encodes the content upper-cased (see Content).
	Uppercase bool
	// Cols and Rows set the print sheet's grid; other formats ignore them.
	Cols, Rows int
}

// DefaultOptions returns the options used for anything a request leaves out:
// a 512 px black-on-white PNG at ECC M with the standard quiet zone.
func DefaultOptions() Options {
	return Options{
		Format: PNG,
		Size:   defaultSize,
		ECC:    ECCMedium,
		Margin: defaultMargin,
		FG:     Color{0, 0, 0},
		BG:     Color{0xff, 0xff, 0xff},
		Cols:   defaultSheetCols,
		Rows:   defaultSheetRows,
	}
}

// Validate checks every option against its bounds and returns the first
// problem as an *OptionError. PDF passes only when allowPDF is set: Render
// draws single images, and a print sheet is an export.
func (o Options) Validate(allowPDF bool) error {
	switch {
	case o.Format == PDF && !allowPDF:
		return optionErr("format", "pdf is only available for batch export")
	case o.Format != PNG && o.Format != SVG && o.Format != PDF:
		return optionErr("format", "must be png or svg")
	case o.Size < MinSize || o.Size > MaxSize:
		return optionErr("size", "must be between %d and %d pixels", MinSize, MaxSize)
	case o.ECC != ECCLow && o.ECC != ECCMedium && o.ECC != ECCQuartile && o.ECC != ECCHigh:
		return optionErr("ecc", "must be L, M, Q or H")
	case o.Margin < 0 || o.Margin > MaxMargin:
		return optionErr("margin", "must be between 0 and %d modules", MaxMargin)
	case o.Format == PDF && (o.Cols < 1 || o.Cols > MaxGrid):
		return optionErr("cols", "must be between 1 and %d", MaxGrid)
	case o.Format == PDF && (o.Rows < 1 || o.Rows > MaxGrid):
		return optionErr("rows", "must be between 1 and %d", MaxGrid)
	}
	if err := checkColors(o.FG, o.BG, o.Invert); err != nil {
		return err
	}
	return checkCaption(o.Caption)
}

func checkColors(fg, bg Color, invert bool) error {
	if c := contrast(fg, bg); c < minContrast {
		return optionErr("fg", "contrast with bg is %.1f:1, at least %.0f:1 is needed to scan reliably", c, minContrast)
	}
	if fg.luminance() > bg.luminance() && !invert {
		return optionErr("fg", "is lighter than bg, which some scanners cannot read; set invert=true to allow it")
	}
	return nil
}

// checkCaption checks the caption option, and each item's caption in an
// export.
func checkCaption(s string) error {
	if !utf8.ValidString(s) {
		return optionErr("caption", "must be UTF-8 text")
	}
	if n := utf8.RuneCountInString(s); n > MaxCaptionRunes {
		return optionErr("caption", "has %d characters, at most %d fit under a code", n, MaxCaptionRunes)
	}
	for _, r := range s {
		// One line of visible text (spaces, the ideographic one included):
		// no control, format or line-breaking characters, which would hide
		// text or break the layout.
		if !unicode.IsGraphic(r) {
			return optionErr("caption", "has an unprintable character %U", r)
		}
	}
	return checkGlyphs(s)
}
