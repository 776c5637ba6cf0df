package links

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTerms(t *testing.T) {
	for _, tc := range []struct {
		in          string
		words, runs []string
	}{
		{"二楼靠窗七号桌", nil, []string{"二楼靠窗七号桌"}},
		{"Coffee-Bar 二楼 coffee", []string{"coffee", "bar"}, []string{"二楼"}},
		{"ＣＯＦＦＥＥ１号", []string{"coffee1"}, []string{"号"}},
		{"Café №7", []string{"café", "no7"}, nil},
		{"Cafe\u0301", []string{"café"}, nil},        // the accent typed apart
		{"ΟΔΟΣ οδός", []string{"οδοσ", "οδόσ"}, nil}, // final sigma folded
		{"ｶﾞｲﾄﾞ", nil, []string{"ガイド"}},              // half-width katakana
		{"  --  ", nil, nil},
	} {
		words, runs := terms(fold(tc.in))
		if !slices.Equal(words, tc.words) || !slices.Equal(runs, tc.runs) {
			t.Errorf("terms(%q) = %q, %q; want %q, %q", tc.in, words, runs, tc.words, tc.runs)
		}
	}
}

// listAll pages through a listing and returns the codes in order, checking
// that no code comes twice.
func listAll(t *testing.T, s *Store, tenant string, q ListQuery) []string {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("List(%+v) never ends", q)
		}
		page, err := s.List(context.Background(), tenant, q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		for _, l := range page.Items {
			if slices.Contains(got, l.Code) {
				t.Fatalf("List(%+v) lists %s twice", q, l.Code)
			}
			got = append(got, l.Code)
		}
		if page.NextCursor == "" {
			return got
		}
		q.Cursor = page.NextCursor
	}
}

func TestSearch(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	clock := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	mk := func(code, title, campaign string) {
		mustCreate(t, s, "acme", fmt.Sprintf(`{"code":%q,"title":%q,"campaign":%q,%s`, code, title, campaign, webOnly[1:]))
	}
	mk("T2F07", "二楼靠窗七号桌", "floor2")
	mk("T1F01", "一楼 Coffee Bar", "floor1")
	mk("BJ-01", "Coffee shop 北京", "floor1")
	mk("BARx1", "Poster at the bar", "")
	mk("bar-2", "Poster 2", "")
	mustCreate(t, s, "globex", `{"code":"G0001","title":"Coffee 北京",`+webOnly[1:])

	for _, tc := range []struct {
		q, campaign string
		want        []string
	}{
		{q: "coffee", want: []string{"BJ-01", "T1F01"}},
		{q: "COFFEE", want: []string{"BJ-01", "T1F01"}},
		{q: "ＣＯＦＦＥＥ", want: []string{"BJ-01", "T1F01"}},
		{q: "coff", want: nil}, // whole words
		{q: "靠窗", want: []string{"T2F07"}},
		{q: "窗七", want: []string{"T2F07"}},
		{q: "七窗", want: nil},
		{q: "北京 coffee", want: []string{"BJ-01"}},
		{q: "coffee", campaign: "floor1", want: []string{"BJ-01", "T1F01"}},
		{q: "t2f", want: []string{"T2F07"}}, // code prefix
		{q: "t", want: []string{"T1F01", "T2F07"}},
		// Code matches first (by code), then title matches, each once.
		{q: "bar", want: []string{"bar-2", "BARx1", "T1F01"}},
		{q: "g0001", want: nil}, // another tenant's
	} {
		for _, limit := range []int{1, 2, 50} {
			got := listAll(t, s, "acme", ListQuery{Q: tc.q, Campaign: tc.campaign, Limit: limit})
			if !slices.Equal(got, tc.want) {
				t.Errorf("q=%q campaign=%q limit=%d: %q, want %q", tc.q, tc.campaign, limit, got, tc.want)
			}
		}
	}

	// An edited title is found by its new words only; a deleted link not at all.
	if _, err := s.Update(ctx, "acme", "T1F01", edit(func(in *Input) { in.Title = "一楼 Tea Bar" })); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, s, "acme", ListQuery{Q: "coffee"}); !slices.Equal(got, []string{"BJ-01"}) {
		t.Errorf("coffee after the edit: %q", got)
	}
	if got := listAll(t, s, "acme", ListQuery{Q: "tea"}); !slices.Equal(got, []string{"T1F01"}) {
		t.Errorf("tea after the edit: %q", got)
	}
	if err := s.Delete(ctx, "acme", "BJ-01", Actor{By: "key:test"}); err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, s, "acme", ListQuery{Q: "北京"}); len(got) != 0 {
		t.Errorf("北京 after the delete: %q", got)
	}
}

func TestSortByUpdated(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	clock := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	var codes []string
	for i := 0; i < 7; i++ {
		codes = append(codes, mustCreate(t, s, "acme", webOnly).Code)
	}
	for _, i := range []int{2, 5} {
		if _, err := s.Update(ctx, "acme", codes[i], edit(func(in *Input) { in.Title = "edited" })); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{codes[5], codes[2], codes[6], codes[4], codes[3], codes[1], codes[0]}
	for _, limit := range []int{1, 3, 50} {
		if got := listAll(t, s, "acme", ListQuery{Sort: SortUpdated, Limit: limit}); !slices.Equal(got, want) {
			t.Errorf("sort=updated limit=%d: %q, want %q", limit, got, want)
		}
	}
	if got := listAll(t, s, "acme", ListQuery{Sort: SortUpdated, Q: "edited"}); !slices.Equal(got, want[:2]) {
		t.Errorf("sort=updated q=edited: %q, want %q", got, want[:2])
	}
	// A cursor of one listing is refused by another, not misread.
	page, _ := s.List(ctx, "acme", ListQuery{Q: "edited", Limit: 1})
	if _, err := s.List(ctx, "acme", ListQuery{Sort: SortScans, Cursor: page.NextCursor}); err == nil {
		t.Error("a search's cursor was taken by sort=scans")
	}
}

// TestSearchIndexBackfill: links stored before search existed (no search
// entries, no marker) are found once the tenant is first searched.
func TestSearchIndexBackfill(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"OLD01","title":"旧海报 Spring",`+webOnly[1:])
	rdb := s.rdb
	keys, err := rdb.Keys(ctx, "sg:{t:acme}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.Contains(k, ":q:") || strings.HasSuffix(k, ":upd") || strings.HasSuffix(k, ":codes") || strings.HasSuffix(k, ":indexed:3") || strings.HasSuffix(k, ":campaigns") || strings.HasSuffix(k, ":tags") {
			rdb.Del(ctx, k)
		}
	}
	fresh := NewStore(rdb, Options{}) // another instance: nothing remembered
	for _, q := range []ListQuery{{Q: "海报"}, {Q: "spring"}, {Q: "old"}, {Sort: SortUpdated}} {
		if got := listAll(t, fresh, "acme", q); !cmp.Equal(got, []string{"OLD01"}) {
			t.Errorf("List(%+v) after the upgrade: %q", q, got)
		}
	}
	if n, _ := rdb.Exists(ctx, searchReadyKey("acme")).Result(); n != 1 {
		t.Error("the backfill left no mark: every instance would do it again")
	}
}

func TestParseListQuery(t *testing.T) {
	for _, tc := range []struct {
		p     ListParams
		field string
	}{
		{ListParams{Q: strings.Repeat("码", MaxQueryRunes+1)}, "q"},
		{ListParams{Q: " !! "}, "q"},
		{ListParams{Q: "a\x00b"}, "q"},
		{ListParams{Sort: "name"}, "sort"},
		{ListParams{Cursor: "bm90IGEgY3Vyc29y"}, "cursor"},
	} {
		_, err := ParseListQuery(tc.p)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Name != tc.field {
			t.Errorf("ParseListQuery(%+v) = %v, want an error on %s", tc.p, err, tc.field)
		}
	}
	if q, err := ParseListQuery(ListParams{Q: "二楼", Sort: "scans"}); err != nil || q.Sort != SortScans {
		t.Errorf("ParseListQuery(q=二楼, sort=scans) = %+v, %v", q, err)
	}
}

// TestCursorBelongsToItsListing: a cursor continues only the listing it
// came from; one from before search (a bare member) still continues.
func TestCursorBelongsToItsListing(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	for range 3 {
		mustCreate(t, s, "acme", `{"campaign":"c1",`+webOnly[1:])
	}
	page, err := s.List(ctx, "acme", ListQuery{Limit: 1})
	if err != nil || page.NextCursor == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	for _, q := range []ListQuery{{Sort: SortUpdated}, {Campaign: "c1"}, {Status: "paused"}, {Q: "x"}} {
		q.Cursor = page.NextCursor
		var fe *FieldError
		if _, err := s.List(ctx, "acme", q); !errors.As(err, &fe) || fe.Name != "cursor" {
			t.Errorf("List(%+v) with another listing's cursor = %v", q, err)
		}
	}
	old := encodeLegacyCursor(indexMember(page.Items[0]))
	if next, err := s.List(ctx, "acme", ListQuery{Limit: 5, Cursor: old}); err != nil || len(next.Items) != 2 {
		t.Errorf("an old cursor = %d items, %v; want the 2 after", len(next.Items), err)
	}
	if _, err := s.List(ctx, "acme", ListQuery{Sort: SortUpdated, Cursor: old}); err == nil {
		t.Error("an old cursor (of a listing by creation) was taken by sort=updated")
	}
	// The same search typed otherwise is the same listing.
	mustCreate(t, s, "acme", `{"title":"Coffee Bar",`+webOnly[1:])
	mustCreate(t, s, "acme", `{"title":"coffee shop",`+webOnly[1:])
	page, _ = s.List(ctx, "acme", ListQuery{Q: "Coffee", Limit: 1})
	if next, err := s.List(ctx, "acme", ListQuery{Q: " COFFEE ", Limit: 1, Cursor: page.NextCursor}); err != nil || len(next.Items) != 1 {
		t.Errorf("q=COFFEE after q=Coffee's cursor = %+v, %v", next, err)
	}
}

func encodeLegacyCursor(member string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(member))
}

// TestRareWordAmongMany: one SKU among 8,000 of a series is found on the
// first page (words are listed by a hash, not by their first characters),
// and a tenant's word lists are bounded however many distinct words its
// titles hold.
func TestRareWordAmongMany(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	rows := make([]Input, 8000)
	for i := range rows {
		rows[i] = Input{Title: fmt.Sprintf("Order SKU2026%05d", i), Targets: Targets{Web: &WebTarget{URL: "https://m.example.com/"}}}
	}
	if res, err := s.Bulk(ctx, "acme", rows, nil, Actor{By: "key:test"}); err != nil || res.Created != len(rows) {
		t.Fatalf("bulk: %d created, %v", res.Created, err)
	}
	page, err := s.List(ctx, "acme", ListQuery{Q: "sku202600007"})
	if err != nil || len(page.Items) != 1 || page.Items[0].Title != "Order SKU202600007" || page.NextCursor != "" {
		t.Errorf("q=sku202600007 = %d items, cursor %q, %v; want the one link and no cursor", len(page.Items), page.NextCursor, err)
	}
	if got := listAll(t, s, "acme", ListQuery{Q: "sku2026"}); len(got) != 0 {
		t.Errorf("q=sku2026 (part of a word) found %d", len(got))
	}
	keys, _ := s.rdb.Keys(ctx, "sg:{t:acme}:q:w:*").Result()
	if len(keys) > wordLists || len(keys) < 1000 {
		t.Errorf("%d word lists for 8,001 distinct words; want them spread, and at most %d", len(keys), wordLists)
	}
	for _, w := range []string{"order", "sku202600007", "café", "二"} {
		if tok := wordToken(w); tok != wordToken(w) || len(tok) != 6 || tok[:2] != "w:" {
			t.Errorf("wordToken(%q) = %q", w, tok)
		}
	}
}
