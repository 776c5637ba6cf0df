package httpapi

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/strictjson"
)

// reasonHeader carries why a write is made, for the link's history.
const reasonHeader = "X-ScanGate-Reason"

// change is a links.Change made by the request's actor.
func change(c echo.Context, edit func(*links.Input) error) (links.Change, error) {
	a, err := actor(c)
	return links.Change{Edit: edit, Actor: a}, err
}

// actor is who makes a request's writes (its API key) and why: the
// X-ScanGate-Reason header, percent-encoded UTF-8 so that Chinese reasons
// travel in a header.
func actor(c echo.Context) (links.Actor, error) {
	reason, err := url.PathUnescape(c.Request().Header.Get(reasonHeader))
	if err != nil || !utf8.ValidString(reason) {
		return links.Actor{}, &links.FieldError{Name: reasonHeader, Message: "must be percent-encoded UTF-8"}
	}
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > links.MaxReason {
		return links.Actor{}, &links.FieldError{Name: reasonHeader, Message: "at most " + strconv.Itoa(links.MaxReason) + " characters"}
	}
	return links.Actor{By: "key:" + apiKey(c).ID, Reason: reason}, nil
}

// readOnly are fields of a link's JSON that a patch may not set.
var readOnly = map[string]bool{
	"tenant": true, "short_url": true, "created_at": true, "updated_at": true, "scans": true, "state": true,
	"launch_links": true, "launch_rev": true, "platform_status": true, "version": true,
}

// mergePatch reads an RFC 7386 JSON merge patch of a link's editable
// fields as a links.Change edit: the fields as the link has them, with the
// patch merged in, are decoded as strictly as a new link. A patch that is
// not a JSON object, sets a read-only field or changes the code is refused
// before anything is read.
func mergePatch(patch []byte) (func(*links.Input) error, error) {
	if err := strictjson.CheckText(patch); err != nil {
		return nil, err
	}
	var p any
	dec := json.NewDecoder(bytes.NewReader(patch))
	dec.UseNumber() // 1e2 stays 1e2, which a whole-number field refuses
	if err := dec.Decode(&p); err != nil || !utf8.Valid(patch) || dec.More() {
		// DecodeInput words JSON errors as the API does.
		_, err := links.DecodeInput(patch)
		if err == nil {
			err = &links.MalformedError{Message: "body is not valid JSON"}
		}
		return nil, err
	}
	obj, ok := p.(map[string]any)
	if !ok {
		return nil, &links.MalformedError{Message: "a merge patch must be a JSON object"}
	}
	for k := range obj {
		if readOnly[k] {
			return nil, &links.FieldError{Name: k, Message: "is read-only"}
		}
	}
	return func(in *links.Input) error {
		if c, ok := obj["code"]; ok {
			if s, _ := c.(string); !strings.EqualFold(s, in.Code) {
				return &links.FieldError{Name: "code", Message: "cannot be changed; create a new link instead"}
			}
		}
		current, err := json.Marshal(in)
		if err != nil {
			return err
		}
		var doc any
		if err := json.Unmarshal(current, &doc); err != nil {
			return err
		}
		merged, err := json.Marshal(merge(doc, obj))
		if err != nil {
			return err
		}
		next, err := links.DecodeInput(merged)
		if err != nil {
			return err
		}
		*in = next
		return nil
	}, nil
}

// merge is RFC 7386 §2: objects merge recursively, null removes, any
// other value replaces.
func merge(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = merge(t[k], v)
	}
	return t
}
