package urllinks

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/redistest"
)

var redisSrv *redistest.Server

func TestMain(m *testing.M) { redistest.Main(m, redistest.Options{}, &redisSrv) }

// refusal is a platform's refusal of a link, as a fake returns it.
type refusal struct{ code int }

func (r *refusal) Error() string { return fmt.Sprintf("refused %d", r.code) }

// fakeGen makes launch links https://wxaurl.cn/G<n> and
// weixin://dl/business/?t=S<n>, recording what each was made for; refuse,
// when set, is its answer instead.
type fakeGen struct {
	mu     sync.Mutex
	n      int
	made   []string // kind path?query
	refuse *refusal
	// refusePath, when set, is the one page refused (85079).
	refusePath string
	// during, when set, runs while a link is being made.
	during func()
}

func (g *fakeGen) Generate(ctx context.Context, token, kind string, s links.Slot, expires time.Time) (string, error) {
	if g.during != nil {
		g.during()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refuse != nil {
		return "", g.refuse
	}
	if g.refusePath != "" && s.Path == g.refusePath {
		return "", &refusal{code: 40165}
	}
	g.n++
	g.made = append(g.made, kind+" "+s.Path+"?"+s.Query)
	if kind == links.KindScheme {
		return fmt.Sprintf("weixin://dl/business/?t=S%d", g.n), nil
	}
	return fmt.Sprintf("https://wxaurl.cn/G%d", g.n), nil
}

func (g *fakeGen) Stale(error) bool { return false }

// Refused reads the fake's refusals as WeChat's adapter does: 44990 a
// rate limit, 85079 about the app, others about the page.
func (g *fakeGen) Refused(err error) (Refusal, bool) {
	if r, ok := err.(*refusal); ok {
		return Refusal{Code: r.code, Message: "refused", PerMinute: r.code == 44990, App: r.code == 85079}, true
	}
	return Refusal{}, false
}

func (g *fakeGen) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

type tokenFetcher struct{}

func (tokenFetcher) Fetch(ctx context.Context, appID, secret string, force bool) (string, time.Time, error) {
	return "TOKEN", time.Now().Add(2 * time.Hour), nil
}
func (tokenFetcher) Refused(error) (int, string, bool) { return 0, "", false }
func (tokenFetcher) Stale(error) bool                  { return false }

const appID = "wx1234567890abcdef"

// setup is a maker of WeChat URL Links over a real Redis (flushed) with
// acme's WeChat app registered, and its clock.
func setup(t *testing.T, kinds ...string) (*Maker, *links.Store, *fakeGen, *time.Time) {
	t.Helper()
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	rdb.FlushAll(ctx)
	ls := links.NewStore(rdb, links.Options{})
	key, _ := apps.ParseKey(apps.NewKey())
	sealer, _ := apps.NewSealer(key)
	as := apps.NewStore(rdb, sealer)
	if _, err := as.Put(ctx, "acme", apps.WeChat, appID, apps.Input{Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	if len(kinds) == 0 {
		kinds = []string{links.KindURLLink}
	}
	gen := &fakeGen{}
	m := New(ls, as, apps.NewTokens(as, map[string]apps.Fetcher{apps.WeChat: tokenFetcher{}}, time.Second),
		[]Platform{{Name: links.MadeWeChat, Kinds: kinds, Lifetime: WeChatLifetime, Gen: gen}}, 1, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	return m, ls, gen, &now
}

func create(t *testing.T, ls *links.Store, body string) {
	t.Helper()
	in, err := links.DecodeInput([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Create(context.Background(), "acme", in, links.Actor{By: "key:test"}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, ls *links.Store, code string) *links.Link {
	t.Helper()
	l, err := ls.Get(context.Background(), "acme", code)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestPastedURLLinks: a URL Link pasted by hand on a target stays the
// merchant's (none is made for it, with an expiry or without), and a link
// of the app without one gets one.
func TestPastedURLLinks(t *testing.T) {
	m, ls, gen, now := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"NOEXP","targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/PASTED"}}}`)
	create(t, ls, `{"code":"MINE","targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/MINE",
		"url_link_expires_at":"2099-01-01T00:00:00Z"}}}`)
	create(t, ls, `{"code":"NONE","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}}}`)
	if err := m.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(m.queue); n != 1 {
		t.Errorf("the sweep queued %d links, want 1 (the one without a URL Link)", n)
	}
	for _, code := range []string{"NOEXP", "MINE", "NONE"} {
		if err := m.ensure(ctx, job{"acme", code}); err != nil {
			t.Errorf("ensure(%s): %v", code, err)
		}
	}
	if got := get(t, ls, "NONE").MadeURL(links.MadeWeChat, links.KindURLLink, "", "", *now); got != "https://wxaurl.cn/G1" {
		t.Errorf("NONE: made URL Link %q, want https://wxaurl.cn/G1", got)
	}
	for _, code := range []string{"NOEXP", "MINE"} {
		if l := get(t, ls, code); len(l.Made) != 0 {
			t.Errorf("%s: made %v for a pasted URL Link", code, l.Made)
		}
	}
	if gen.n != 1 {
		t.Errorf("%d URL Links made, want 1", gen.n)
	}
}

// TestEveryWayInGetsItsOwn: each variant of a split gets a URL Link whose
// query carries its sg_v (the link's own target when the variant has
// none), a rule with its own WeChat target one for that target, and the
// link's own target one because a rule without a WeChat target uses it.
func TestEveryWayInGetsItsOwn(t *testing.T) {
	m, ls, gen, now := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"ABT","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a","query":"x=1"}},
		"rules":[{"name":"sh","when":{"city":["Shanghai"]},"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/sh"}}},
		         {"name":"night","when":{"time":{"from":"22:00","to":"06:00","tz":"Asia/Shanghai"}},"targets":{"web":{"url":"https://example.com/n"}}}],
		"split":{"variants":[{"name":"A","weight":50},{"name":"B","weight":50,"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/b"}}}]}}`)
	if err := m.ensure(ctx, job{"acme", "ABT"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"url_link pages/sh?scene=ABT":           true,
		"url_link pages/a?x=1&scene=ABT":        true,
		"url_link pages/a?x=1&scene=ABT&sg_v=A": true,
		"url_link pages/b?scene=ABT&sg_v=B":     true,
	}
	if len(gen.made) != len(want) {
		t.Errorf("made %q, want %d", gen.made, len(want))
	}
	for _, m := range gen.made {
		if !want[m] {
			t.Errorf("made %q, not one of %v", m, want)
		}
	}
	l := get(t, ls, "ABT")
	for _, slot := range [][2]string{{"sh", ""}, {"", ""}, {"", "A"}, {"", "B"}} {
		if l.MadeURL(links.MadeWeChat, links.KindURLLink, slot[0], slot[1], *now) == "" {
			t.Errorf("no URL Link kept for rule %q variant %q", slot[0], slot[1])
		}
	}
	if st := l.PlatformStatus["wechat"]; st.State != "ok" {
		t.Errorf("platform_status.wechat = %+v, want ok", st)
	}
	// A second look makes nothing more.
	if err := m.ensure(ctx, job{"acme", "ABT"}); err != nil || gen.n != 4 {
		t.Errorf("second look: %v, %d made in all; want 4", err, gen.n)
	}
}

// TestEditDropsTheOldLink: an edit of the target drops its URL Link at
// once (no scan goes to the old page), and the next look makes one for the
// new page; an edit of something else keeps it.
func TestEditDropsTheOldLink(t *testing.T) {
	m, ls, gen, now := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"EDIT","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}}}`)
	if err := m.ensure(ctx, job{"acme", "EDIT"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Update(ctx, "acme", "EDIT", links.Change{Edit: func(in *links.Input) error { in.Title = "new title"; return nil }}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, ls, "EDIT").MadeURL("wechat", "url_link", "", "", *now); got != "https://wxaurl.cn/G1" {
		t.Errorf("after a title edit: %q, want the URL Link kept", got)
	}
	if _, err := ls.Update(ctx, "acme", "EDIT", links.Change{Edit: func(in *links.Input) error { in.Targets.WeChat.Path = "pages/b"; return nil }}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, ls, "EDIT").MadeURL("wechat", "url_link", "", "", *now); got != "" {
		t.Errorf("after a page edit: %q, want none", got)
	}
	if err := m.ensure(ctx, job{"acme", "EDIT"}); err != nil {
		t.Fatal(err)
	}
	if got := get(t, ls, "EDIT").MadeURL("wechat", "url_link", "", "", *now); got != "https://wxaurl.cn/G2" || gen.made[1] != "url_link pages/b?scene=EDIT" {
		t.Errorf("after the look: %q made for %q, want G2 for pages/b", got, gen.made)
	}
}

// TestEditWhileMaking: a link edited while its URL Link is being made
// does not get the link made for the old target.
func TestEditWhileMaking(t *testing.T) {
	m, ls, gen, now := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"RACE","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}}}`)
	gen.during = func() {
		gen.during = nil
		if _, err := ls.Update(ctx, "acme", "RACE", links.Change{Edit: func(in *links.Input) error { in.Targets.WeChat.Path = "pages/new"; return nil }}); err != nil {
			t.Error(err)
		}
	}
	if err := m.ensure(ctx, job{"acme", "RACE"}); err != nil {
		t.Fatal(err)
	}
	if l := get(t, ls, "RACE"); l.MadeURL("wechat", "url_link", "", "", *now) != "" {
		t.Errorf("made %v for the old page", l.Made)
	}
}

// TestRenewal: a URL Link is made again within renewBefore of its expiry,
// and kept until then.
func TestRenewal(t *testing.T) {
	m, ls, gen, now := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"OLD","targets":{"wechat":{"appid":"wx1234567890abcdef"}}}`)
	m.ensure(ctx, job{"acme", "OLD"})
	*now = now.Add(WeChatLifetime - renewBefore - time.Hour)
	m.ensure(ctx, job{"acme", "OLD"})
	if gen.n != 1 {
		t.Fatalf("%d made, want 1 while the first is good", gen.n)
	}
	*now = now.Add(2 * time.Hour)
	m.ensure(ctx, job{"acme", "OLD"})
	if got := get(t, ls, "OLD").MadeURL("wechat", "url_link", "", "", *now); gen.n != 2 || got != "https://wxaurl.cn/G2" {
		t.Errorf("%d made, serving %q; want a second one", gen.n, got)
	}
}

// TestInstancesShareTheClaim: two makers (two gateway instances) looking
// at the same new links at once make one URL Link and one scheme per link.
func TestInstancesShareTheClaim(t *testing.T) {
	m1, ls, gen, _ := setup(t, links.KindURLLink, links.KindScheme)
	m2 := New(ls, m1.apps, m1.tokens, m1.platforms, 1, m1.log)
	m2.now = m1.now
	ctx := context.Background()
	for i := range 10 {
		create(t, ls, fmt.Sprintf(`{"code":"TWO%d","targets":{"wechat":{"appid":"wx1234567890abcdef"}}}`, i))
	}
	var wg sync.WaitGroup
	for _, m := range []*Maker{m1, m2, m1, m2} {
		wg.Go(func() {
			for i := range 10 {
				if err := m.ensure(ctx, job{"acme", fmt.Sprintf("TWO%d", i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := gen.count(); n != 20 {
		t.Errorf("%d launch links made for 10 links, want 20 (a URL Link and a scheme each)", n)
	}
	for i := range 10 {
		l := get(t, ls, fmt.Sprintf("TWO%d", i))
		if len(l.Made) != 2 {
			t.Errorf("%s: made %v, want 2", l.Code, l.Made)
		}
	}
}

// TestRefusalShowsOnTheLink: a mini program WeChat refuses links for
// (85079, not published) is shown on the link with the platform's code
// and on the app, and none of its links is asked for again within
// refusedHold, by any instance; a PUT of the app lifts the hold.
func TestRefusalShowsOnTheLink(t *testing.T) {
	m, ls, gen, now := setup(t)
	m2 := New(ls, m.apps, m.tokens, m.platforms, 1, m.log)
	m2.now = m.now
	ctx := context.Background()
	create(t, ls, `{"code":"NOPUB","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}}}`)
	create(t, ls, `{"code":"NOPUB2","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/b"}}}`)
	gen.refuse = &refusal{code: 85079}
	if err := m.ensure(ctx, job{"acme", "NOPUB"}); err != nil {
		t.Fatal(err)
	}
	if st := get(t, ls, "NOPUB").PlatformStatus["wechat"]; st.State != "error" || st.Code != 85079 {
		t.Errorf("platform_status.wechat = %+v, want error 85079", st)
	}
	if a, _ := m.apps.Get(ctx, "acme", "wechat", appID); a.Hold.Code != 85079 || !a.Hold.Refused {
		t.Errorf("app hold = %+v, want 85079", a.Hold)
	}
	gen.refuse = nil
	*now = now.Add(refusedHold - time.Second)
	m2.ensure(ctx, job{"acme", "NOPUB2"})
	m.ensure(ctx, job{"acme", "NOPUB"})
	if gen.n != 0 {
		t.Errorf("asked again within the hold: %v", gen.made)
	}
	if st := get(t, ls, "NOPUB2").PlatformStatus["wechat"]; st.Code != 85079 {
		t.Errorf("another link of the app: platform_status.wechat = %+v, want error 85079", st)
	}
	*now = now.Add(time.Second)
	m.ensure(ctx, job{"acme", "NOPUB"})
	if l := get(t, ls, "NOPUB"); gen.n != 1 || l.PlatformStatus["wechat"].State != "ok" {
		t.Errorf("after the hold: %d made, status %+v; want one, ok", gen.n, l.PlatformStatus["wechat"])
	}
	gen.refuse = &refusal{code: 85079}
	m.ensure(ctx, job{"acme", "NOPUB2"})
	if _, err := m.apps.Put(ctx, "acme", apps.WeChat, appID, apps.Input{Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	gen.refuse = nil
	*now = now.Add(retryAfter)
	m.ensure(ctx, job{"acme", "NOPUB2"})
	if gen.n != 2 {
		t.Errorf("after a PUT: %d made, want the hold lifted", gen.n)
	}
}

// TestRateLimitHoldsEveryInstance: WeChat's per-minute limit (44990)
// stops the app's calls from every instance for a minute.
func TestRateLimitHoldsEveryInstance(t *testing.T) {
	m, ls, gen, now := setup(t)
	m2 := New(ls, m.apps, m.tokens, m.platforms, 1, m.log)
	m2.now = m.now
	ctx := context.Background()
	create(t, ls, `{"code":"SLOW1","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}}}`)
	create(t, ls, `{"code":"SLOW2","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/b"}}}`)
	gen.refuse = &refusal{code: 44990}
	if err := m.ensure(ctx, job{"acme", "SLOW1"}); err == nil || !strings.Contains(err.Error(), "44990") {
		t.Errorf("rate-limited: %v, want an error naming 44990", err)
	}
	gen.refuse = nil
	m2.ensure(ctx, job{"acme", "SLOW2"})
	if gen.n != 0 {
		t.Errorf("another instance called a rate-limited app at once")
	}
	if st := get(t, ls, "SLOW2").PlatformStatus["wechat"]; st.State != "" {
		t.Errorf("a rate limit shown on a link: %+v", st)
	}
	*now = now.Add(throttledFor)
	m2.ensure(ctx, job{"acme", "SLOW2"})
	if gen.n != 1 {
		t.Errorf("after the minute: %d made, want 1", gen.n)
	}
}

// TestScansAskOnlyForTenantsWithApps: WantFromScan queues a link of a
// tenant with an app at most every lookAgain, and never another tenant's.
func TestScansAskOnlyForTenantsWithApps(t *testing.T) {
	m, _, _, now := setup(t)
	m.loadTenants(context.Background())
	m.WantFromScan("other", "X1")
	m.WantFromScan("acme", "A1")
	m.WantFromScan("acme", "A1")
	if n := len(m.queue); n != 1 {
		t.Errorf("%d queued, want 1", n)
	}
	*now = now.Add(lookAgain)
	m.WantFromScan("acme", "A1")
	if n := len(m.queue); n != 2 {
		t.Errorf("after %s: %d queued, want 2", lookAgain, n)
	}
}

// TestOneRefusedWayIn: a link whose rule's page WeChat refuses (40165)
// shows the refusal, and keeps showing it while the refused page waits
// for its next try (refusedHold), though its other way in has its URL
// Link; after it, the page is asked again.
func TestOneRefusedWayIn(t *testing.T) {
	m, ls, gen, now := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"HALF","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}},
		"rules":[{"name":"sh","when":{"city":["Shanghai"]},"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/gone"}}}]}`)
	gen.refusePath = "pages/gone"
	for range 3 {
		if err := m.ensure(ctx, job{"acme", "HALF"}); err != nil {
			t.Fatal(err)
		}
		if st := get(t, ls, "HALF").PlatformStatus["wechat"]; st.State != "error" || st.Code != 40165 {
			t.Errorf("platform_status.wechat = %+v, want error 40165", st)
		}
		*now = now.Add(10 * time.Minute)
	}
	if gen.n != 1 {
		t.Errorf("%d made, want 1 (the page refused is not asked again within %s)", gen.n, refusedHold)
	}
	gen.refusePath = ""
	*now = now.Add(refusedHold)
	m.ensure(ctx, job{"acme", "HALF"})
	if st := get(t, ls, "HALF").PlatformStatus["wechat"]; st.State != "ok" {
		t.Errorf("once the page is published: platform_status.wechat = %+v, want ok", st)
	}
}

// TestHoldSparesLinksThatNeedNothing: while an app is held for a refusal
// of another link (85079), a link whose launch links are made stays ok,
// and a minute's limit does not shorten the refusal's hold.
func TestHoldSparesLinksThatNeedNothing(t *testing.T) {
	m, ls, gen, now := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"GOOD","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}}}`)
	m.ensure(ctx, job{"acme", "GOOD"})
	create(t, ls, `{"code":"BAD","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/b"}}}`)
	gen.refuse = &refusal{code: 85079}
	m.ensure(ctx, job{"acme", "BAD"})
	a, _ := m.apps.Get(ctx, "acme", apps.WeChat, appID)
	if err := m.apps.Hold(ctx, "acme", apps.WeChat, appID, a.UpdatedAt, apps.Hold{Until: now.Add(time.Minute), Code: 44990}); err != nil {
		t.Fatal(err)
	}
	if a, _ := m.apps.Get(ctx, "acme", apps.WeChat, appID); a.Hold.Code != 85079 || !a.Hold.Until.Equal(now.Add(refusedHold)) {
		t.Errorf("hold after a minute's limit = %+v, want the refusal's 30 minutes kept", a.Hold)
	}
	for range 3 {
		*now = now.Add(time.Minute)
		m.ensure(ctx, job{"acme", "GOOD"})
		if st := get(t, ls, "GOOD").PlatformStatus["wechat"]; st.State != "ok" {
			t.Fatalf("GOOD: platform_status.wechat = %+v while another link's refusal holds the app; want ok", st)
		}
	}
}
