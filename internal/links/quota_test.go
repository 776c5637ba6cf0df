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
	for i, s := range []*Store{s1, s2, s1, s2} {
		s.SetLimits(func(string) Limits { return Limits{Links: 25} })
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
