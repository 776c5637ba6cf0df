package urllinks

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/redistest"
)

func TestQuery(t *testing.T) {
	for _, tc := range []struct{ target, code, want string }{
		{"", "T01", "scene=T01"},
		{"table=7", "T01", "table=7&scene=T01"},
		{"scene=old&a=1", "T01", "scene=T01&a=1"},
		{"name=a%20b&flag", "T01", "name=a%20b&flag&scene=T01"}, // as written
	} {
		if got := Query(tc.target, tc.code); got != tc.want {
			t.Errorf("Query(%q, %q) = %q, want %q", tc.target, tc.code, got, tc.want)
		}
	}
}

var redisSrv *redistest.Server

func TestMain(m *testing.M) { redistest.Main(m, redistest.Options{}, &redisSrv) }

// fakeGen makes URL Links https://wxaurl.cn/G<n>, counting them.
type fakeGen struct {
	mu sync.Mutex
	n  int
}

func (g *fakeGen) Generate(ctx context.Context, token, path, query, env string, expires time.Time) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return fmt.Sprintf("https://wxaurl.cn/G%d", g.n), nil
}

func (g *fakeGen) Stale(error) bool { return false }

type tokenFetcher struct{}

func (tokenFetcher) Fetch(ctx context.Context, appID, secret string, force bool) (string, time.Time, error) {
	return "TOKEN", time.Now().Add(2 * time.Hour), nil
}
func (tokenFetcher) Refused(error) (int, string, bool) { return 0, "", false }
func (tokenFetcher) Stale(error) bool                  { return false }

// setup is a maker over a real Redis with acme's WeChat app registered.
func setup(t *testing.T) (*Maker, *links.Store, *fakeGen) {
	t.Helper()
	ctx := context.Background()
	rdb := redisSrv.Client(t)
	ls := links.NewStore(rdb, links.Options{})
	key, _ := apps.ParseKey(apps.NewKey())
	sealer, _ := apps.NewSealer(key)
	as := apps.NewStore(rdb, sealer)
	if _, err := as.Put(ctx, "acme", apps.WeChat, "wx1234567890abcdef", apps.Input{Secret: "s"}); err != nil {
		t.Fatal(err)
	}
	gen := &fakeGen{}
	m := New(ls, as, apps.NewTokens(as, map[string]apps.Fetcher{apps.WeChat: tokenFetcher{}}, time.Second), gen, 1, slog.New(slog.DiscardHandler))
	return m, ls, gen
}

func create(t *testing.T, ls *links.Store, body string) {
	t.Helper()
	in, err := links.DecodeInput([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ls.Create(context.Background(), "acme", in); err != nil {
		t.Fatal(err)
	}
}

// TestPastedURLLinks: a URL Link pasted by hand is never replaced, with an
// expiry or without (which must not stop the maker either), and a link of
// the app without one gets one.
func TestPastedURLLinks(t *testing.T) {
	m, ls, gen := setup(t)
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
	for code, want := range map[string]string{"NOEXP": "https://wxaurl.cn/PASTED", "MINE": "https://wxaurl.cn/MINE", "NONE": "https://wxaurl.cn/G1"} {
		if l, _ := ls.Get(ctx, "acme", code); l.Targets.WeChat.URLLink != want {
			t.Errorf("%s: url_link %q, want %q", code, l.Targets.WeChat.URLLink, want)
		}
	}
	if gen.n != 1 {
		t.Errorf("%d URL Links made, want 1", gen.n)
	}
}

// TestURLLinkPastedMeanwhile: a URL Link pasted while one is being made
// stays: the made one is not written over it.
func TestURLLinkPastedMeanwhile(t *testing.T) {
	m, ls, _ := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"RACE","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}}}`)
	m.gen = pasteFirst{ls: ls}
	if err := m.ensure(ctx, job{"acme", "RACE"}); err != nil {
		t.Fatal(err)
	}
	if l, _ := ls.Get(ctx, "acme", "RACE"); l.Targets.WeChat.URLLink != "https://wxaurl.cn/BYHAND" {
		t.Errorf("url_link %q, want the one pasted meanwhile", l.Targets.WeChat.URLLink)
	}
}

// pasteFirst pastes a URL Link on the link while it "makes" one.
type pasteFirst struct{ ls *links.Store }

func (p pasteFirst) Generate(ctx context.Context, token, path, query, env string, expires time.Time) (string, error) {
	if _, err := p.ls.Update(ctx, "acme", "RACE", []byte(`{"targets":{"wechat":{"url_link":"https://wxaurl.cn/BYHAND"}}}`)); err != nil {
		return "", err
	}
	return "https://wxaurl.cn/MADE", nil
}

func (pasteFirst) Stale(error) bool { return false }

// TestSplitLinksKeepThePage: a split link gets no URL Link (it would carry
// no variant, and opens could not be attributed).
func TestSplitLinksKeepThePage(t *testing.T) {
	m, ls, gen := setup(t)
	ctx := context.Background()
	create(t, ls, `{"code":"ABT","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a"}},
		"split":{"variants":[{"name":"A","weight":50},{"name":"B","weight":50}]}}`)
	if err := m.Sweep(ctx); err != nil || len(m.queue) != 0 {
		t.Errorf("sweep: %v, %d queued; want none", err, len(m.queue))
	}
	if err := m.ensure(ctx, job{"acme", "ABT"}); err != nil || gen.n != 0 {
		t.Errorf("ensure: %v, %d URL Links made; want none", err, gen.n)
	}
}
