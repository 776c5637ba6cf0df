package links

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/scangate/scangate/internal/strictjson"
)

// Input is what a client writes: the editable fields of a link.
type Input struct {
	Code        string            `json:"code,omitempty"`
	Title       string            `json:"title,omitempty"`
	Campaign    string            `json:"campaign,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Targets     Targets           `json:"targets"`
	FallbackURL string            `json:"fallback_url,omitempty"`
	Status      Status            `json:"status,omitempty"`
	StartsAt    *time.Time        `json:"starts_at"`
	ExpiresAt   *time.Time        `json:"expires_at"`
	MaxScans    int64             `json:"max_scans,omitempty"`
	// MaxScansPerVisitor limits how often one visitor may scan the link.
	MaxScansPerVisitor *VisitorLimit `json:"max_scans_per_visitor,omitempty"`
	Rules              []Rule        `json:"rules,omitempty"`
	Split              *Split        `json:"split,omitempty"`
}

// DecodeInput reads one link from JSON. Unknown fields and wrong types are
// *FieldError (422: well-formed but invalid); broken JSON is a
// *MalformedError (400).
func DecodeInput(data []byte) (Input, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return Input{}, &MalformedError{Message: "a link must be a JSON object"}
	}
	var in Input
	if err := strictjson.Decode(data, &in); err != nil {
		return Input{}, jsonError(err)
	}
	return in, nil
}

// MaxRowBytes bounds one row of a bulk request: a link with every target,
// 50 rules of 50 places each and 10 variants is under a quarter of it.
// A row is decoded (and checked against its type) only within it.
const MaxRowBytes = 256 << 10

// CheckRowSize refuses a bulk row over MaxRowBytes, before any decoding.
func CheckRowSize(raw []byte) error {
	if len(raw) > MaxRowBytes {
		return &LimitError{Message: fmt.Sprintf("a row may be at most %d KiB of JSON (this one is %d KiB)", MaxRowBytes>>10, len(raw)>>10)}
	}
	return nil
}

// DecodeInputs reads a JSON array of links for a bulk import, one row at a
// time: past MaxBulkRows it stops before decoding another, so a body's
// size, not its row count, bounds the work. A row that cannot be decoded
// fails alone; only a body that is not a JSON array fails as a whole.
func DecodeInputs(data []byte) ([]Input, []error, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, nil, &MalformedError{Message: "body must be a JSON array of links"}
	}
	var ins []Input
	var errs []error
	for dec.More() {
		if len(ins) == MaxBulkRows {
			return nil, nil, ErrTooManyRows
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, &MalformedError{Message: "body is not valid JSON"}
		}
		if err := CheckRowSize(raw); err != nil {
			ins, errs = append(ins, Input{}), append(errs, err)
			continue
		}
		in, err := DecodeInput(raw)
		ins, errs = append(ins, in), append(errs, err)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return nil, nil, &MalformedError{Message: "body is not valid JSON"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, &MalformedError{Message: "unexpected data after the JSON array"}
	}
	return ins, errs, nil
}

// jsonError words a strictjson error as this package's: a field's is a
// *FieldError, the body's a *MalformedError.
func jsonError(err error) error {
	var se *strictjson.Error
	if !errors.As(err, &se) {
		return &MalformedError{Message: "body is not valid JSON"}
	}
	if se.Field != "" && !se.Syntax {
		return &FieldError{Name: se.Field, Message: se.Message}
	}
	return &MalformedError{Message: se.Message}
}

// editable is a copy of the link's editable fields, sharing nothing with
// it, for a Change to edit.
func (l *Link) editable() (Input, error) {
	data, err := json.Marshal(l.Input)
	if err != nil {
		return Input{}, err
	}
	var out Input
	if err := json.Unmarshal(data, &out); err != nil {
		return Input{}, err
	}
	return out, nil
}
