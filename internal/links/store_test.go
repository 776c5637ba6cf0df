package links

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreateAndGet(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	created := mustCreate(t, s, "acme", `{
		"code": "Table12", "title": "Table 12, Pudong store", "campaign": "spring-coupons",
		"tags": ["pudong", "dine-in", "pudong"], "params": {"store": "PD01", "table": "12"},
		"targets": {
			"wechat": {"appid": "wx1234567890abcdef", "path": "/pages/menu/index", "query": "from=qr"},
			"alipay": {"appid": "2021001234567890", "page": "pages/menu/index", "query": "from=qr"},
			"web": {"url": "https://m.example.com/menu?store=PD01"}
		},
		"fallback_url": "https://www.example.com/", "expires_at": "2099-01-01T00:00:00Z", "max_scans": 100000
	}`)
	if created.Status != StatusActive {
		t.Errorf("Status = %q, want default %q", created.Status, StatusActive)
	}
	if diff := cmp.Diff([]string{"pudong", "dine-in"}, created.Tags); diff != "" {
		t.Errorf("Tags not de-duplicated (-want +got):\n%s", diff)
	}
	if got := created.Targets.WeChat.Path; got != "pages/menu/index" {
		t.Errorf("WeChat path = %q, want leading slash dropped", got)
	}
	got, err := s.Get(ctx, "acme", "table12")
	if err != nil {
		t.Fatalf("Get with other case: %v", err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("Get differs from Create (-create +get):\n%s", diff)
	}
}

func TestCreateGeneratesCode(t *testing.T) {
	s := newTestStore(t, Options{})
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		l := mustCreate(t, s, "acme", webOnly)
		if len(l.Code) != GeneratedCodeLen || !ValidCode(l.Code) || strings.ContainsAny(l.Code, "_-") {
			t.Fatalf("generated code %q: want %d characters of [0-9A-Za-z]", l.Code, GeneratedCodeLen)
		}
		if seen[Canonical(l.Code)] {
			t.Fatalf("generated code %q twice", l.Code)
		}
		seen[Canonical(l.Code)] = true
	}
}

func TestCreateCodeTaken(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"promo-1",`+webOnly[1:])
	for _, tc := range []struct{ name, tenant, code string }{
		{"same tenant", "acme", "promo-1"},
		{"other tenant", "globex", "promo-1"},
		{"other case", "globex", "PROMO-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, _ := DecodeInput([]byte(`{"code":"` + tc.code + `",` + webOnly[1:]))
			if _, err := s.Create(ctx, tc.tenant, in, Actor{}); !errors.Is(err, ErrExists) {
				t.Fatalf("Create(%q) err = %v, want ErrExists", tc.code, err)
			}
		})
	}
}

// TestUpdate: a change edits the link's fields; the indexes follow it,
// created_at stays; the code cannot change; an edit's error is returned
// and nothing is written; another tenant's link is not found.
func TestUpdate(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	l := mustCreate(t, s, "acme", `{"code":"patchme","title":"Old","campaign":"c1","tags":["a","b"],
		"params":{"store":"PD01","table":"12"},
		"targets":{"web":{"url":"https://a.example.com/"},"alipay":{"appid":"2021001234567890"}}}`)
	got, err := s.Update(ctx, "acme", "PATCHME", edit(func(in *Input) {
		in.Title, in.Campaign, in.Tags = "New", "", []string{"b"}
		in.Targets.Alipay = nil
		in.Targets.Web.URL = "https://b.example.com/"
	}))
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got.Title != "New" || got.Campaign != "" || got.Targets.Alipay != nil || got.Targets.Web.URL != "https://b.example.com/" {
		t.Errorf("Update result = %+v", got)
	}
	if !got.CreatedAt.Equal(l.CreatedAt) || !got.UpdatedAt.After(l.UpdatedAt) && !got.UpdatedAt.Equal(l.UpdatedAt) {
		t.Errorf("CreatedAt %v→%v, UpdatedAt %v→%v", l.CreatedAt, got.CreatedAt, l.UpdatedAt, got.UpdatedAt)
	}
	// The indexes follow: the link left campaign c1 and tag a.
	for _, q := range []ListQuery{{Campaign: "c1"}, {Tag: "a"}} {
		page, err := s.List(ctx, "acme", q)
		if err != nil || len(page.Items) != 0 {
			t.Errorf("List(%+v) = %d items, %v; want none after the change", q, len(page.Items), err)
		}
	}
	if page, _ := s.List(ctx, "acme", ListQuery{Tag: "b"}); len(page.Items) != 1 {
		t.Errorf("List(tag=b) = %d items, want 1", len(page.Items))
	}
	for _, tc := range []struct {
		name  string
		ch    Change
		field string
	}{
		{"code change", edit(func(in *Input) { in.Code = "other" }), "code"},
		{"invalid value", edit(func(in *Input) { in.Targets.Web.URL = "ftp://x" }), "targets.web.url"},
		{"no targets left", edit(func(in *Input) { in.Targets.Web = nil }), "targets"},
		{"reason too long", Change{Actor: Actor{Reason: strings.Repeat("很", MaxReason+1)}}, "reason"},
		{"the edit's own error", Change{Edit: func(*Input) error { return invalid("title", "no") }}, "title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Update(ctx, "acme", "patchme", tc.ch)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Name != tc.field {
				t.Fatalf("Update err = %v, want field %q", err, tc.field)
			}
		})
	}
	if after, _ := s.Get(ctx, "acme", "patchme"); !after.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("a refused change was written")
	}
}

// TestTrash: a deleted link goes to the trash: not listed nor got, but
// scans see it trashed (fallback or 410), its owner lists it in the trash
// and restores it as it was, with its scan limit's count; the code is
// never another tenant's; the owner's create of it is refused while it is
// in the trash.
func TestTrash(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	orig := mustCreate(t, s, "acme", `{"code":"gone1","campaign":"c","max_scans":10,`+webOnly[1:])
	if ok, err := admit(ctx, s, orig); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := s.Delete(ctx, "acme", "gone1", Actor{By: "key:test"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "acme", "gone1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete err = %v, want ErrNotFound", err)
	}
	if l, err := s.Lookup(ctx, "gone1"); err != nil || l.StateAt(time.Now(), 0) != StateTrashed {
		t.Errorf("Lookup after Delete = %v, %v; want it trashed", l, err)
	}
	if err := s.Delete(ctx, "acme", "gone1", Actor{By: "key:test"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete err = %v, want ErrNotFound", err)
	}
	if l, err := s.Owned(ctx, "acme", "gone1"); err != nil || l.DeletedAt == nil {
		t.Errorf("Owned after Delete = %v, %v; want the trashed link", l, err)
	}
	in, _ := DecodeInput([]byte(`{"code":"gone1",` + webOnly[1:]))
	if _, err := s.Create(ctx, "globex", in, Actor{}); !errors.Is(err, ErrExists) || errors.Is(err, ErrInTrash) {
		t.Errorf("another tenant's create of a trashed code err = %v, want ErrExists only", err)
	}
	if _, err := s.Create(ctx, "acme", in, Actor{}); !errors.Is(err, ErrInTrash) {
		t.Errorf("its owner's create err = %v, want ErrInTrash", err)
	}
	if page, _ := s.List(ctx, "acme", ListQuery{}); len(page.Items) != 0 {
		t.Errorf("List after Delete = %d items, want 0", len(page.Items))
	}
	trash, next, err := s.Trash(ctx, "acme", 0, 10)
	if err != nil || len(trash) != 1 || next != 0 || trash[0].PurgeAt == nil {
		t.Fatalf("Trash = %v, %d, %v; want the link with its purge time", trash, next, err)
	}
	if trash, _, _ := s.Trash(ctx, "globex", 0, 10); len(trash) != 0 {
		t.Errorf("another tenant's trash shows %d links", len(trash))
	}
	if _, err := s.Restore(ctx, "globex", "gone1", Actor{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's restore: %v, want ErrNotFound", err)
	}
	back, err := s.Restore(ctx, "acme", "GONE1", Actor{By: "key:test"})
	if err != nil || back.DeletedAt != nil || back.Campaign != "c" || !back.CreatedAt.Equal(orig.CreatedAt) {
		t.Fatalf("Restore = %+v, %v; want the link as it was", back, err)
	}
	if page, _ := s.List(ctx, "acme", ListQuery{Campaign: "c"}); len(page.Items) != 1 {
		t.Errorf("the restored link is not in its campaign again")
	}
	if trash, _, _ := s.Trash(ctx, "acme", 0, 10); len(trash) != 0 {
		t.Errorf("the restored link is still in the trash")
	}
	if used, _ := s.UsedScans(ctx, back); used[back] != 1 {
		t.Errorf("the restored link's scan count = %d, want 1 (kept through the trash)", used[back])
	}
	if _, err := s.Restore(ctx, "acme", "gone1", Actor{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("restoring a live link: %v, want ErrNotFound", err)
	}
}

// TestPurge: a purged code (at once, or when its time in the trash ends)
// answers no scan, is never another tenant's, and its owner may create it
// again, its versions going on; a restored link is not purged by the
// sweep.
func TestPurge(t *testing.T) {
	s := newTestStore(t, Options{TrashFor: time.Hour})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"old1",`+webOnly[1:])
	mustCreate(t, s, "acme", `{"code":"old2",`+webOnly[1:])
	mustCreate(t, s, "acme", `{"code":"old3",`+webOnly[1:])
	if err := s.Purge(ctx, "acme", "old1", Actor{By: "key:test"}); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"old2", "old3"} {
		if err := s.Delete(ctx, "acme", code, Actor{By: "key:test"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Restore(ctx, "acme", "old3", Actor{}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PurgeExpired(ctx, time.Now().Add(30*time.Minute), 100); err != nil || n != 0 {
		t.Errorf("PurgeExpired before the hour = %d, %v; want 0", n, err)
	}
	if n, err := s.PurgeExpired(ctx, time.Now().Add(2*time.Hour), 100); err != nil || n != 1 {
		t.Errorf("PurgeExpired after the hour = %d, %v; want 1 (old2; old3 was restored)", n, err)
	}
	if _, err := s.Get(ctx, "acme", "old3"); err != nil {
		t.Errorf("the restored link was purged: %v", err)
	}
	for _, code := range []string{"old1", "old2"} {
		if _, err := s.Lookup(ctx, code); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%s) after the purge: %v, want ErrNotFound", code, err)
		}
		if trash, _, _ := s.Trash(ctx, "acme", 0, 10); len(trash) != 0 {
			t.Errorf("Trash after the purge = %d links", len(trash))
		}
		in, _ := DecodeInput([]byte(`{"code":"` + code + `",` + webOnly[1:]))
		if _, err := s.Create(ctx, "globex", in, Actor{}); !errors.Is(err, ErrExists) {
			t.Fatalf("another tenant took the purged code %s: err = %v (its stats would leak)", code, err)
		}
		again, err := s.Create(ctx, "acme", in, Actor{By: "key:test", Reason: "reprinted"})
		if err != nil || again.Version < 3 {
			t.Fatalf("its owner's create of the purged %s = %+v, %v; want a new life, versions going on", code, again, err)
		}
		if l, err := s.Lookup(ctx, code); err != nil || l.DeletedAt != nil {
			t.Errorf("Lookup(%s) after the new life: %v, %v", code, l, err)
		}
		if h, _, _ := s.History(ctx, "acme", code, 0, 10); len(h) < 3 || h[0].Action != ActionCreate || h[1].Action != ActionPurge {
			t.Errorf("%s history = %+v, want create over purge", code, h)
		}
	}
	for _, bad := range []string{"a{b}c", "", strings.Repeat("x", 40)} {
		if _, err := s.Get(ctx, "acme", bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) err = %v, want ErrNotFound without a Redis key", bad, err)
		}
	}
}

func TestTenantIsolation(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"mine1","campaign":"c","tags":["t"],`+webOnly[1:])
	if _, err := s.Get(ctx, "globex", "mine1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get by other tenant err = %v, want ErrNotFound", err)
	}
	if _, err := s.Update(ctx, "globex", "mine1", edit(func(in *Input) { in.Title = "x" })); !errors.Is(err, ErrNotFound) {
		t.Errorf("Update by other tenant err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "globex", "mine1", Actor{By: "key:test"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete by other tenant err = %v, want ErrNotFound", err)
	}
	if _, err := s.Owned(ctx, "globex", "mine1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Owned by other tenant err = %v, want ErrNotFound", err)
	}
	for _, q := range []ListQuery{{}, {Campaign: "c"}, {Tag: "t"}} {
		if page, _ := s.List(ctx, "globex", q); len(page.Items) != 0 {
			t.Errorf("other tenant List(%+v) = %d items, want 0", q, len(page.Items))
		}
	}
	if l, err := s.Get(ctx, "acme", "mine1"); err != nil || l.Title != "" {
		t.Errorf("owner's link after others' attempts = %+v, %v", l, err)
	}
}

func TestListPaginatesNewestFirst(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	clock := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	var want []string
	for i := 0; i < 23; i++ {
		campaign := "odd"
		if i%2 == 0 {
			campaign = "even"
		}
		l := mustCreate(t, s, "acme", `{"campaign":"`+campaign+`",`+webOnly[1:])
		want = append([]string{l.Code}, want...)
	}
	mustCreate(t, s, "globex", webOnly)

	var got []string
	cursor, pages := "", 0
	for {
		page, err := s.List(ctx, "acme", ListQuery{Limit: 10, Cursor: cursor})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		pages++
		for _, l := range page.Items {
			got = append(got, l.Code)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3 for 23 links at 10 a page", pages)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed codes (-want +got):\n%s", diff)
	}

	page, err := s.List(ctx, "acme", ListQuery{Campaign: "even", Limit: 5})
	if err != nil || len(page.Items) != 5 || page.NextCursor == "" {
		t.Fatalf("List(campaign=even, limit=5) = %d items, cursor %q, %v", len(page.Items), page.NextCursor, err)
	}
	rest, _ := s.List(ctx, "acme", ListQuery{Campaign: "even", Limit: 50, Cursor: page.NextCursor})
	if n := len(page.Items) + len(rest.Items); n != 12 {
		t.Errorf("campaign even over two pages = %d links, want 12", n)
	}
}

func TestListStatusFilter(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"live1",`+webOnly[1:])
	mustCreate(t, s, "acme", `{"code":"paused1","status":"paused",`+webOnly[1:])
	mustCreate(t, s, "acme", `{"code":"later1","starts_at":"2098-01-01T00:00:00Z",`+webOnly[1:])
	for _, tc := range []struct {
		status string
		want   []string
	}{
		{"paused", []string{"paused1"}},
		{"scheduled", []string{"later1"}},
		{"active", []string{"later1", "live1"}},
	} {
		page, err := s.List(ctx, "acme", ListQuery{Status: tc.status})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range page.Items {
			got = append(got, l.Code)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("List(status=%s) (-want +got):\n%s", tc.status, diff)
		}
	}
}

func TestStateAt(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		link  Link
		scans int64
		want  State
	}{
		{"live", Link{Input: Input{Status: StatusActive}}, 0, StateLive},
		{"paused", Link{Input: Input{Status: StatusPaused}}, 0, StatePaused},
		{"not started", Link{Input: Input{Status: StatusActive, StartsAt: ptrTime("2026-11-25T00:00:00Z")}}, 0, StateScheduled},
		{"started", Link{Input: Input{Status: StatusActive, StartsAt: ptrTime("2026-11-24T12:00:00Z")}}, 0, StateLive},
		{"expired at the instant", Link{Input: Input{Status: StatusActive, ExpiresAt: ptrTime("2026-11-24T12:00:00Z")}}, 0, StateExpired},
		{"exhausted", Link{Input: Input{Status: StatusActive, MaxScans: 10}}, 10, StateExhausted},
		{"one scan left", Link{Input: Input{Status: StatusActive, MaxScans: 10}}, 9, StateLive},
	} {
		if got := tc.link.StateAt(now, tc.scans); got != tc.want {
			t.Errorf("%s: StateAt = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestAdmitCountsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	a, b := NewStore(rdb, Options{}), NewStore(rdb, Options{})
	l := mustCreate(t, a, "acme", `{"code":"limit3","max_scans":3,`+webOnly[1:])
	var admitted int
	for i := 0; i < 5; i++ {
		for _, s := range []*Store{a, b} {
			ok, err := admit(ctx, s, l)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				admitted++
			}
		}
	}
	if admitted != 3 {
		t.Fatalf("admitted %d scans over two instances, want exactly max_scans = 3", admitted)
	}
	if used, _ := a.UsedScans(ctx, l); used[l] != 3 {
		t.Errorf("UsedScans = %d, want the 3 admitted", used[l])
	}
	// Raising the limit grants exactly the difference.
	raised, err := a.Update(ctx, "acme", "limit3", edit(func(in *Input) { in.MaxScans = 5 }))
	if err != nil {
		t.Fatal(err)
	}
	admitted = 0
	for i := 0; i < 4; i++ {
		if ok, _ := admit(ctx, b, raised); ok {
			admitted++
		}
	}
	if admitted != 2 {
		t.Errorf("after raising max_scans from 3 to 5, %d more scans admitted, want 2", admitted)
	}
	unlimited := mustCreate(t, a, "acme", webOnly)
	if ok, err := admit(ctx, a, unlimited); !ok || err != nil {
		t.Errorf("Admit(unlimited) = %v, %v", ok, err)
	}
}

// admit counts one scan against l's max_scans, as a GET scan does.
func admit(ctx context.Context, s *Store, l *Link) (bool, error) {
	over, err := s.CheckLimits(ctx, l, LimitCheck{})
	return over == Within, err
}

// TestUpdateDropsAStaleURLLink: a WeChat URL Link opens the page it was
// made for; a change of page, query, version or app without a new URL Link
// drops it, so scans never go on to the old page. Other changes keep it,
// and a patch may bring its own.
func TestUpdateDropsAStaleURLLink(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	mustCreate(t, s, "acme", `{"code":"wxlink","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a",
		"url_link":"https://wxaurl.cn/AAA","url_link_expires_at":"2099-01-01T00:00:00Z"}}}`)
	far := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		edit func(*Input)
		want string
	}{
		{"title", func(in *Input) { in.Title = "New" }, "https://wxaurl.cn/AAA"},
		{"page", func(in *Input) { in.Targets.WeChat.Path = "pages/b" }, ""},
		{"new page with its own link", func(in *Input) {
			in.Targets.WeChat.Path, in.Targets.WeChat.URLLink = "pages/c", "https://wxaurl.cn/CCC"
		}, "https://wxaurl.cn/CCC"},
		{"query", func(in *Input) { in.Targets.WeChat.Query = "x=1" }, ""},
	} {
		got, err := s.Update(ctx, "acme", "wxlink", edit(tc.edit))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if u := got.Targets.WeChat.URLLink; u != tc.want || (u == "") != (got.Targets.WeChat.URLLinkExpiresAt == nil) {
			t.Errorf("%s: url_link %q (expires %v), want %q", tc.name, u, got.Targets.WeChat.URLLinkExpiresAt, tc.want)
		}
		if tc.want == "" { // put one back for the next case
			if _, err := s.Update(ctx, "acme", "wxlink", edit(func(in *Input) {
				in.Targets.WeChat.URLLink, in.Targets.WeChat.URLLinkExpiresAt = "https://wxaurl.cn/AAA", &far
			})); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestUpdateDropsStaleURLLinksOfRulesAndVariants: the same holds for the
// WeChat targets of rules and A/B variants.
func TestUpdateDropsStaleURLLinksOfRulesAndVariants(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	wx := func(path string) string {
		return `{"wechat":{"appid":"wx1234567890abcdef","path":"` + path + `","url_link":"https://wxaurl.cn/` +
			strings.ReplaceAll(path, "/", "") + `","url_link_expires_at":"2099-01-01T00:00:00Z"}}`
	}
	mustCreate(t, s, "acme", `{"code":"ruled","targets":{"web":{"url":"https://example.com/"}},
		"rules":[{"name":"breakfast","when":{"platform":["wechat"]},"targets":`+wx("pages/a")+`}],
		"split":{"variants":[{"name":"A","weight":50,"targets":`+wx("pages/x")+`},{"name":"B","weight":50}]}}`)
	got, err := s.Update(ctx, "acme", "ruled", edit(func(in *Input) {
		in.Rules[0].Targets.WeChat.Path = "pages/b" // its URL Link stays the same: made for pages/a
		in.Title = "t"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if u := got.Rules[0].Targets.WeChat.URLLink; u != "" {
		t.Errorf("the rule's page changed and its old URL Link %q stayed", u)
	}
	if u := got.Split.Variants[0].Targets.WeChat.URLLink; u != "https://wxaurl.cn/pagesx" {
		t.Errorf("the unchanged variant lost its URL Link: %q", u)
	}
}
