package httpapi

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/strictjson"
)

// exportRequest is the body of POST /api/v1/qr/export.
type exportRequest struct {
	Codes       []string `json:"codes"`
	Campaign    string   `json:"campaign"`
	CaptionFrom string   `json:"caption_from"`
	// SunCodes puts WeChat sun codes on a pdf sheet; format "wxacode" is
	// a zip of them.
	SunCodes bool `json:"sun_codes"`
	qr.Fields
}

// decodeExportRequest reads the body strictly: an unknown key is an error
// naming it, as a misspelt query option is.
func decodeExportRequest(data []byte) (exportRequest, error) {
	var req exportRequest
	if err := strictjson.Decode(data, &req); err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) && se.Field != "" && !se.Syntax {
			msg := se.Message
			if msg == "unknown field" {
				msg = "is not an export option"
			}
			return req, &qr.OptionError{Option: se.Field, Message: msg}
		}
		return req, err
	}
	return req, nil
}

// exportFileName names the download after the campaign or the codes and
// the day (UTC), e.g. scangate-spring-coupons-2026-11-23.zip.
func exportFileName(campaign string, items []qr.Item, now time.Time, f qr.Format) string {
	what := fmt.Sprintf("%d-codes", len(items))
	switch {
	case campaign != "":
		what = fileNamePart(campaign)
	case len(items) == 1:
		what = items[0].Code
	}
	ext := "zip"
	if f == qr.PDF {
		ext = "pdf"
	}
	return "scangate-" + what + "-" + now.UTC().Format(time.DateOnly) + "." + ext
}

// fileNamePart keeps letters (Chinese included), digits, '-' and '_', and
// turns anything else, such as a path separator or a quote, into '-'.
func fileNamePart(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}
