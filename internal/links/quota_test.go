package links

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func quotaName(err error) string {
	var qe *QuotaError
	if errors.As(err, &qe) {
		return qe.Name
	}
	return ""
}

func TestStoredQuotas(t *testing.T) {
	s := newTestStore(t, Options{})
	s.SetLimits(func(tenant string) Limits {
		if tenant == "big" {
			return Limits{}
		}
		return Limits{Links: 4, Campaigns: 2, Tags: 3}
	})
	ctx := context.Background()
	a := Actor{By: "key:test"}
	create := func(tenant, body string) error {
		in, err := DecodeInput([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Create(ctx, tenant, in, a)
		return err
	}
	web := webOnly[1:]
	for i, body := range []string{`{"code":"QQ1","campaign":"c1","tags":["a","b"],` + web, `{"code":"QQ2","campaign":"c2","tags":["c"],` + web} {
		if err := create("acme", body); err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
	}
	for body, quota := range map[string]string{
		`{"code":"QQ3","campaign":"c3",` + web: "campaigns",
		`{"code":"QQ3","tags":["d"],` + web:    "tags",
	} {
		if err := create("acme", body); quotaName(err) != quota {
			t.Errorf("create %s = %v, want the %s quota", body, err, quota)
		}
		if _, err := s.Get(ctx, "acme", "QQ3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a refused link was stored: %v", err)
		}
	}
	// An edit into a new campaign counts too; one within the names used does not.
	if _, err := s.Update(ctx, "acme", "QQ2", edit(func(in *Input) { in.Campaign = "c9" })); quotaName(err) != "campaigns" {
		t.Errorf("moving Q2 to a third campaign = %v, want the campaigns quota", err)
	}
	if _, err := s.Update(ctx, "acme", "QQ2", edit(func(in *Input) { in.Campaign = "c1" })); err != nil {
		t.Fatalf("moving Q2 to c1: %v", err)
	}
	// c2 is empty now: its name is free again.
	if err := create("acme", `{"code":"QQ3","campaign":"c3",`+web); err != nil {
		t.Errorf("a campaign after another emptied: %v", err)
	}
	// Links: a bulk past the quota stores the rows that fit, in order.
	rows := make([]Input, 3)
	for i := range rows {
		rows[i] = Input{Code: fmt.Sprintf("B%d0", i), Targets: Targets{Web: &WebTarget{URL: "https://m.example.com/b"}}}
	}
	res, err := s.Bulk(ctx, "acme", rows, nil, a)
	if err != nil || res.Created != 1 || len(res.Failed) != 2 || quotaName(res.Failed[0].Err) != "links" || res.Items[0].Code != "B00" {
		t.Fatalf("bulk of 3 with 1 free = %+v, %v", res, err)
	}
	u, err := s.Usage(ctx, "acme")
	if want := (Usage{Links: 4, Campaigns: 2, Tags: 3}); err != nil || u != want {
		t.Errorf("Usage = %+v, %v; want %+v", u, err, want)
	}
	// The trash does not count, but a restore does.
	if err := s.Delete(ctx, "acme", "B00", a); err != nil {
		t.Fatal(err)
	}
	if err := create("acme", `{"code":"QQ5",`+web); err != nil {
		t.Fatalf("create after a delete: %v", err)
	}
	if _, err := s.Restore(ctx, "acme", "B00", a); quotaName(err) != "links" {
		t.Errorf("restore past the quota = %v", err)
	}
	if err := create("big", `{"code":"OTHER","campaign":"c7",`+web); err != nil {
		t.Errorf("a tenant without limits: %v", err)
	}
}

// TestLinkQuotaAcrossInstances: two instances creating at once never
// store more than the quota between them.
func TestLinkQuotaAcrossInstances(t *testing.T) {
	s1 := newTestStore(t, Options{})
	s2 := NewStore(s1.rdb, Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, refused := 0, 0
	// Limits are set before any writer starts: SetLimits is start-up
	// configuration, not safe against writes in flight.
	for _, s := range []*Store{s1, s2} {
		s.SetLimits(func(string) Limits { return Limits{Links: 25} })
	}
	for i, s := range []*Store{s1, s2, s1, s2} {
		wg.Go(func() {
			for j := 0; j < 10; j++ {
				in := Input{Code: fmt.Sprintf("P%d_%d", i, j), Targets: Targets{Web: &WebTarget{URL: "https://m.example.com/p"}}}
				_, err := s.Create(context.Background(), "acme", in, Actor{By: "key:test"})
				mu.Lock()
				switch {
				case err == nil:
					created++
				case quotaName(err) == "links":
					refused++
				default:
					t.Errorf("create: %v", err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if created != 25 || refused != 15 {
		t.Errorf("created %d, refused %d; want 25 and 15", created, refused)
	}
	if u, _ := s1.Usage(context.Background(), "acme"); u.Links != 25 {
		t.Errorf("Usage.Links = %d, want 25", u.Links)
	}
}

// TestIndexesAfterRefusals: a create refused with 409 and a code twice in
// one bulk leave the tenant's lists and counts as they were.
func TestIndexesAfterRefusals(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	a := Actor{By: "key:test"}
	web := Targets{Web: &WebTarget{URL: "https://m.example.com/"}}
	mustCreate(t, s, "acme", `{"code":"PROMO1","title":"spring poster","campaign":"c1",`+webOnly[1:])
	if _, err := s.Create(ctx, "acme", Input{Code: "promo1", Campaign: "c2", Title: "retry", Targets: web}, a); !errors.Is(err, ErrExists) {
		t.Fatalf("a second create of the code = %v, want ErrExists", err)
	}
	res, err := s.Bulk(ctx, "acme", []Input{
		{Code: "DUP01", Campaign: "c1", Title: "alpha", Targets: web},
		{Code: "DUP01", Campaign: "c3", Tags: []string{"x"}, Title: "beta", Targets: web},
	}, nil, a)
	if err != nil || res.Created != 1 {
		t.Fatalf("bulk with a code twice = %+v, %v", res, err)
	}
	for q, want := range map[string]string{"promo": "PROMO1", "poster": "PROMO1", "dup": "DUP01", "alpha": "DUP01"} {
		if got := listAll(t, s, "acme", ListQuery{Q: q}); len(got) != 1 || got[0] != want {
			t.Errorf("q=%s after the refusals: %q, want %s", q, got, want)
		}
	}
	for _, q := range []string{"retry", "beta"} {
		if got := listAll(t, s, "acme", ListQuery{Q: q}); len(got) != 0 {
			t.Errorf("q=%s finds a refused row: %q", q, got)
		}
	}
	if u, _ := s.Usage(ctx, "acme"); u != (Usage{Links: 2, Campaigns: 1}) {
		t.Errorf("usage after the refusals = %+v, want 2 links in 1 campaign, no tags", u)
	}
}

// TestBackfillRacingAWrite: a link deleted between the backfill's read and
// its writes does not stay counted.
func TestBackfillRacingAWrite(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"BF001","campaign":"gone","title":"old poster",`+webOnly[1:])
	mustCreate(t, s, "acme", `{"code":"BF002","campaign":"kept",`+webOnly[1:])
	// As links stored before this release: no registries, no mark.
	s.rdb.Del(ctx, campaignsKey("acme"), tagsKey("acme"), searchReadyKey("acme"))
	fresh := NewStore(s.rdb, Options{})
	fresh.backfillRead = func() {
		fresh.backfillRead = nil
		if err := s.Delete(ctx, "acme", "BF001", Actor{By: "key:test"}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := fresh.Usage(ctx, "acme")
	if want := (Usage{Links: 1, Campaigns: 1}); err != nil || u != want {
		t.Errorf("usage after a backfill that raced a delete = %+v, %v; want %+v", u, err, want)
	}
	if got := listAll(t, fresh, "acme", ListQuery{Q: "poster"}); len(got) != 0 {
		t.Errorf("the deleted link is found: %q", got)
	}
}
