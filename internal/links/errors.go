package links

import (
	"errors"
	"fmt"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound: no such link, or it belongs to another tenant; the two
	// are deliberately indistinguishable.
	ErrNotFound = errors.New("link not found")
	// ErrExists: the code is taken (by any tenant, or by a deleted link
	// whose tombstone has not expired).
	ErrExists = errors.New("code already taken")
	// ErrInvalid: the input is well-formed but breaks a rule; the concrete
	// error is a *FieldError naming the field.
	ErrInvalid = errors.New("invalid link")
	// ErrMalformed: the input cannot be decoded at all (bad JSON or CSV).
	ErrMalformed = errors.New("malformed input")
	// ErrConflict: a concurrent change won; the caller may retry.
	ErrConflict = errors.New("link changed concurrently")
	// ErrUnavailable wraps every failure to reach the store, so callers
	// can answer "try again" without knowing the store's client.
	ErrUnavailable = errors.New("link store unavailable")
)

// StaleError: a change was made for a version of the link that is no
// longer its current one. It unwraps to ErrConflict.
type StaleError struct{ Want, Current int64 }

func (e *StaleError) Error() string {
	return fmt.Sprintf("the link is at version %d, not %d: it was changed meanwhile", e.Current, e.Want)
}
func (e *StaleError) Unwrap() error { return ErrConflict }

// FieldError is a validation failure of one field. It unwraps to ErrInvalid.
type FieldError struct {
	Name    string // JSON path, e.g. "targets.wechat.appid"
	Message string
	// Format and Args made Message (Sprintf), so that a console can say it
	// in another language; empty for a message from elsewhere.
	Format string
	Args   []any
}

// Template is the message's text before its values (the key to say it
// in another language) and its values: for a message passed on whole
// ("%s" of one string), that string and none.
func (e *FieldError) Template() (string, []any) {
	if s, ok := singleString(e.Format, e.Args); ok {
		return s, nil
	}
	return e.Format, e.Args
}

func singleString(format string, args []any) (string, bool) {
	if format != "%s" || len(args) != 1 {
		return "", false
	}
	s, ok := args[0].(string)
	return s, ok
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Name, e.Message) }
func (e *FieldError) Unwrap() error { return ErrInvalid }
func (e *FieldError) Field() string { return e.Name }

// Reason is the message alone, for clients.
func (e *FieldError) Reason() string { return e.Message }
func invalid(field, format string, args ...any) error {
	return &FieldError{Name: field, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// LimitError is a request over a limit that is no one field's (a bulk
// request's rows). It unwraps to ErrInvalid; Reason is its message.
type LimitError struct{ Message string }

func (e *LimitError) Error() string  { return e.Message }
func (e *LimitError) Unwrap() error  { return ErrInvalid }
func (e *LimitError) Reason() string { return e.Message }

// MalformedError describes input that could not be decoded. It unwraps to
// ErrMalformed.
type MalformedError struct{ Message string }

func (e *MalformedError) Error() string { return e.Message }
func (e *MalformedError) Unwrap() error { return ErrMalformed }
