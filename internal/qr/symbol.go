package qr

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// symbol is an encoded QR symbol without its quiet zone: dark[y][x] is true
// for a dark module.
type symbol struct {
	dark    [][]bool
	version int
}

func (e ECC) level() qrcode.RecoveryLevel {
	switch e {
	case ECCLow:
		return qrcode.Low
	case ECCQuartile:
		return qrcode.High // go-qrcode calls Q "High"
	case ECCHigh:
		return qrcode.Highest
	}
	return qrcode.Medium
}

// encode builds the symbol for content. go-qrcode picks the smallest version
// and splits the data into numeric, alphanumeric and byte segments itself.
func encode(content string, ecc ECC) (symbol, error) {
	if content == "" {
		return symbol{}, fmt.Errorf("%w: nothing to encode", ErrInvalid)
	}
	q, err := qrcode.New(content, ecc.level())
	if err != nil {
		return symbol{}, optionErr("ecc", "the %d bytes of the URL do not fit a QR symbol at ecc %s: choose a lower level", len(content), ecc)
	}
	// Bitmap adds go-qrcode's own four-module border unless told not to;
	// the quiet zone is ours to size (the margin option).
	q.DisableBorder = true
	return symbol{dark: q.Bitmap(), version: q.VersionNumber}, nil
}

// Content returns the text to encode for a short URL. With uppercase it is
// upper-cased (ASCII letters only), which lets the whole URL use QR's
// alphanumeric mode (5.5 bits a character instead of 8) and often a
// smaller symbol, whose modules print larger at the same size. That is
// safe because the scheme and host are case-insensitive and the gateway
// serves /S/ and folds codes to one case; a URL with a case-sensitive
// part must not be upper-cased.
func Content(shortURL string, uppercase bool) string {
	if !uppercase {
		return shortURL
	}
	b := []byte(shortURL)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Version is the QR version (1 to 40; the symbol is 17+4×version modules
// wide) that content needs at the given error-correction level.
func Version(content string, ecc ECC) (int, error) {
	s, err := encode(content, ecc)
	if err != nil {
		return 0, err
	}
	return s.version, nil
}
