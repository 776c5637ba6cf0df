package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
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
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			// An embedded struct's fields are reported under its name.
			name := strings.TrimPrefix(te.Field, "Fields.")
			return req, &qr.OptionError{Option: name, Message: "must be " + jsonKind(te.Type.String())}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return req, &qr.OptionError{Option: name, Message: "is not an export option"}
		}
		return req, &links.MalformedError{Message: "body is not a valid JSON object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, &links.MalformedError{Message: "unexpected data after the JSON value"}
	}
	return req, nil
}

func jsonKind(goType string) string {
	switch strings.TrimPrefix(goType, "*") {
	case "string":
		return "a string"
	case "int":
		return "a whole number"
	case "bool":
		return "true or false"
	case "[]string":
		return "an array of strings"
	}
	return "of another type"
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
