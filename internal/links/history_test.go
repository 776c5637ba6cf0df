package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// TestHistory: create, three retargets and a revert to version 1 make five
// versions, newest first, each with its actor, reason, action and the link
// as it left it; the revert brings version 1's target back as version 5;
// another tenant sees nothing; pages follow one another.
func TestHistory(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	in, _ := DecodeInput([]byte(`{"code":"HIST1","targets":{"web":{"url":"https://example.com/v1"}}}`))
	if _, err := s.Create(ctx, "acme", in, Actor{By: "key:k1", Reason: "印刷了"}); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		if _, err := s.Update(ctx, "acme", "hist1", Change{Actor: Actor{By: "key:k2", Reason: fmt.Sprintf("move %d", i)},
			Edit: func(in *Input) error { in.Targets.Web.URL = fmt.Sprintf("https://example.com/v%d", i); return nil }}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.Revert(ctx, "acme", "HIST1", 1, Actor{By: "key:k3"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Targets.Web.URL != "https://example.com/v1" || l.Version != 5 {
		t.Errorf("after the revert: %s at version %d, want v1 at version 5", l.Targets.Web.URL, l.Version)
	}
	if got, _ := s.Lookup(ctx, "hist1"); got.Targets.Web.URL != "https://example.com/v1" {
		t.Errorf("the scan path serves %s after the revert, want v1", got.Targets.Web.URL)
	}
	entries, next, err := s.History(ctx, "acme", "hist1", 0, 10)
	if err != nil || next != 0 || len(entries) != 5 {
		t.Fatalf("History = %d entries, next %d, %v; want 5, 0", len(entries), next, err)
	}
	want := []struct {
		version     int64
		action, by  string
		reason, url string
	}{
		{5, ActionRevert, "key:k3", "revert to version 1", "https://example.com/v1"},
		{4, ActionUpdate, "key:k2", "move 4", "https://example.com/v4"},
		{3, ActionUpdate, "key:k2", "move 3", "https://example.com/v3"},
		{2, ActionUpdate, "key:k2", "move 2", "https://example.com/v2"},
		{1, ActionCreate, "key:k1", "印刷了", "https://example.com/v1"},
	}
	for i, e := range entries {
		var snap Link
		if err := json.Unmarshal(e.Link, &snap); err != nil {
			t.Fatal(err)
		}
		w := want[i]
		if e.Version != w.version || e.Action != w.action || e.By != w.by || e.Reason != w.reason || snap.Targets.Web.URL != w.url || snap.Version != w.version {
			t.Errorf("entry %d = v%d %s by %s (%q) %s, want %+v", i, e.Version, e.Action, e.By, e.Reason, snap.Targets.Web.URL, w)
		}
	}
	if page, next, _ := s.History(ctx, "acme", "hist1", 0, 2); len(page) != 2 || next != 2 || page[1].Version != 4 {
		t.Errorf("first page of 2: %d entries, next %d", len(page), next)
	}
	if page, next, _ := s.History(ctx, "acme", "hist1", 4, 2); len(page) != 1 || next != 0 || page[0].Version != 1 {
		t.Errorf("last page: %d entries, next %d", len(page), next)
	}
	if _, _, err := s.History(ctx, "globex", "hist1", 0, 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's history: %v, want ErrNotFound", err)
	}
	if _, err := s.Revert(ctx, "acme", "hist1", 9, Actor{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("revert to a version that never was: %v, want ErrInvalid", err)
	}
	if err := s.Delete(ctx, "acme", "hist1", Actor{By: "key:k4", Reason: "typo"}); err != nil {
		t.Fatal(err)
	}
	if entries, _, _ := s.History(ctx, "acme", "hist1", 0, 1); len(entries) != 1 || entries[0].Action != ActionDelete || entries[0].Version != 6 {
		t.Errorf("after a delete the newest version is %+v, want 6, delete", entries)
	}
}

// TestHistoryKeepsTheNewest: past HistoryKept versions the oldest go.
func TestHistoryKeepsTheNewest(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"HIST2","targets":{"web":{"url":"https://example.com/"}}}`)
	for i := range HistoryKept + 4 {
		if _, err := s.Update(ctx, "acme", "hist2", edit(func(in *Input) { in.Title = fmt.Sprint(i) })); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := s.History(ctx, "acme", "hist2", 0, HistoryKept+10)
	if err != nil || len(entries) != HistoryKept || entries[0].Version != HistoryKept+5 || entries[HistoryKept-1].Version != 6 {
		t.Errorf("History = %d entries (v%d..v%d), %v; want the newest %d", len(entries), entries[0].Version, entries[len(entries)-1].Version, err, HistoryKept)
	}
}
