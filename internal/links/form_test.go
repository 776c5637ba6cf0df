package links

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"
)

// TestUpdateIfVersion: a change made for an older version is refused as
// stale, unless it changes nothing (the same form posted twice, or the
// same edit made meanwhile); one for the current version goes through.
func TestUpdateIfVersion(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	actor := Actor{By: "key:test"}
	l, err := s.Create(ctx, "acme", Input{Code: "VV1", Targets: Targets{Web: &WebTarget{URL: "https://m.example.com/"}}}, actor)
	if err != nil {
		t.Fatal(err)
	}
	retitle := func(title string, version int64) error {
		_, err := s.Update(ctx, "acme", "VV1", Change{Actor: actor, IfVersion: version,
			Edit: func(in *Input) error { in.Title = title; return nil }})
		return err
	}
	if err := retitle("mine", l.Version); err != nil {
		t.Fatalf("a change for the current version: %v", err)
	}
	if err := retitle("mine", l.Version); err != nil {
		t.Errorf("the same change posted again: %v", err)
	}
	var stale *StaleError
	if err := retitle("other", l.Version); !errors.As(err, &stale) || stale.Current != l.Version+1 || !errors.Is(err, ErrConflict) {
		t.Errorf("a different change for the old version: %v", err)
	}
	if got, _ := s.Get(ctx, "acme", "VV1"); got.Title != "mine" {
		t.Errorf("after the stale change the title is %q", got.Title)
	}
}

// TestApplyFormWhitespace: typed params and rule names lose the spaces
// around them (a phone keyboard's, "key = value"), lines end with a
// browser's CRLF; ones already stored with spaces keep them.
func TestApplyFormWhitespace(t *testing.T) {
	in := Input{Params: map[string]string{"kept": " spaced "}, Rules: []Rule{{Name: "night "}}}
	form := url.Values{
		"params":        {"kept= spaced \r\nb = 2\r\nc=3 \r\n"},
		"rules[0].name": {"night "}, "rules[0].fallback_url": {"https://m.example.com/closed"},
		"rules[1].name": {"Lunch "}, "rules[1].fallback_url": {"https://m.example.com/lunch"},
	}
	if errs := ApplyForm(&in, form); len(errs) != 0 {
		t.Fatal(errs)
	}
	if in.Params["kept"] != " spaced " || in.Params["b"] != "2" || in.Params["c"] != "3" {
		t.Errorf("params: %q", in.Params)
	}
	if len(in.Rules) != 2 || in.Rules[0].Name != "night " || in.Rules[1].Name != "Lunch" {
		t.Errorf("rule names: %+v", in.Rules)
	}
	blank := Input{Targets: Targets{Web: &WebTarget{URL: "https://m.example.com/"}}, Rules: []Rule{{Name: "   ", FallbackURL: "https://m.example.com/x"}}}
	var fe *FieldError
	if _, err := blank.Preview("acme", time.Unix(0, 0)); !errors.As(err, &fe) || fe.Name != "rules[0].name" {
		t.Errorf("a rule named only spaces: %v", err)
	}
}
