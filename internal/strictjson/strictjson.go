// Package strictjson decodes request bodies strictly: one JSON value,
// valid UTF-8 text, every object key exactly (case-sensitively) a field of
// the Go type it goes into, and every value of that field's type. Its
// errors name the offending field by its JSON path ("rules[2].when.city")
// in words safe to show a client.
//
// encoding/json alone matches keys case-insensitively, turns invalid
// UTF-8 into U+FFFD without a word, and reports unknown fields only in
// its error text; this package checks the body against the type first
// and leaves encoding/json only well-formed, well-typed input.
//
// It knows nothing of HTTP and imports only the standard library.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Error is why a body could not be decoded. Field is the JSON path of the
// offending value ("" for the body as a whole). Syntax marks a body that
// is not JSON at all; the others are JSON of the wrong shape.
type Error struct {
	Field   string
	Message string
	Syntax  bool
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Decode decodes data, which must hold exactly one JSON value, into the
// value v points to.
func Decode(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("strictjson: Decode needs a non-nil pointer, got %T", v)
	}
	tree, err := parse(data)
	if err != nil {
		return err
	}
	if err := checkText(data, tree); err != nil {
		return err
	}
	if err := check(tree, rv.Type().Elem(), ""); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		// check let through only what encoding/json decodes; this is a
		// value check knows nothing of.
		return &Error{Message: "the body could not be decoded"}
	}
	return nil
}

// parse reads data as one JSON value, numbers kept as written.
func parse(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, &Error{Message: "the body is not valid JSON", Syntax: true}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Message: "unexpected data after the JSON value", Syntax: true}
	}
	return tree, nil
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// check walks node (from parse) against t, the type it decodes into.
func check(node any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node == nil || t == rawType || t.Kind() == reflect.Interface {
		return nil // null leaves a value as it is; raw and any take anything
	}
	if t == timeType {
		s, ok := node.(string)
		if !ok {
			return wrongType(path, "an RFC 3339 time")
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return &Error{Field: path, Message: "must be an RFC 3339 time, e.g. 2027-01-01T00:00:00Z"}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := node.(map[string]any)
		if !ok {
			return wrongType(path, "an object")
		}
		fields := fieldsOf(t)
		for _, k := range sortedKeys(obj) {
			ft, ok := fields[k]
			if !ok {
				return unknown(join(path, k), k, fields)
			}
			if err := check(obj[k], ft, join(path, k)); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, ok := node.(map[string]any)
		if !ok {
			return wrongType(path, "an object")
		}
		for _, k := range sortedKeys(obj) {
			if err := check(obj[k], t.Elem(), join(path, k)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		list, ok := node.([]any)
		if !ok {
			return wrongType(path, "an array")
		}
		for i, v := range list {
			if err := check(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.String:
		if _, ok := node.(string); !ok {
			return wrongType(path, "a string")
		}
	case reflect.Bool:
		if _, ok := node.(bool); !ok {
			return wrongType(path, "true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := node.(json.Number)
		if !ok {
			return wrongType(path, "a whole number")
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || reflect.Zero(t).OverflowInt(i) {
			return &Error{Field: path, Message: "must be a whole number in range"}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := node.(json.Number)
		if !ok {
			return wrongType(path, "a whole number")
		}
		u, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil || reflect.Zero(t).OverflowUint(u) {
			return &Error{Field: path, Message: "must be a whole number in range"}
		}
	case reflect.Float32, reflect.Float64:
		n, ok := node.(json.Number)
		if !ok {
			return wrongType(path, "a number")
		}
		if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
			return &Error{Field: path, Message: "must be a number in range"}
		}
	}
	return nil
}

// fieldsOf maps the JSON names of t's fields, those of embedded structs
// without a name of their own included, to their types.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range fieldsOf(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = ft
	}
	return out
}

func unknown(path, key string, fields map[string]reflect.Type) error {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return &Error{Field: path, Message: fmt.Sprintf("unknown field; names are case-sensitive: did you mean %q?", name)}
		}
	}
	return &Error{Field: path, Message: "unknown field"}
}

func wrongType(path, want string) error {
	return &Error{Field: path, Message: "must be " + want}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// sortedKeys gives a body's keys in order, so that the first error named
// is the same every time.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
