package apps

import (
	"context"
	"errors"
	"testing"
)

// fakeMaker stands for WeChat's getwxacodeunlimit: it refuses every token
// but the newest the fake platform issued, and counts its calls.
type fakeMaker struct {
	fetcher *fakeFetcher
	calls   int
}

var errStale = errors.New("fake: token not latest")

func (m *fakeMaker) Make(ctx context.Context, token string, c SunCode) ([]byte, string, error) {
	m.calls++
	calls, _ := m.fetcher.count()
	if token != "token-"+itoa(calls) {
		return nil, "", errStale
	}
	return []byte("img:" + c.Scene), "image/png", nil
}

func (m *fakeMaker) Stale(err error) bool { return errors.Is(err, errStale) }

func itoa(n int) string { return string(rune('0' + n)) }

func TestSunCodeRefreshesAStaleToken(t *testing.T) {
	ts := newTokenSetup(t)
	tk := ts.instance()
	ctx := context.Background()
	if _, err := tk.Token(ctx, "acme", WeChat, wxApp); err != nil { // token-1, shared
		t.Fatal(err)
	}
	// The platform issues another token behind the shared one's back, as a
	// forced refresh elsewhere would: token-1 is now stale.
	ts.fake.Fetch(ctx, wxApp, wxSecret, true)
	m := &fakeMaker{fetcher: ts.fake}
	sc := NewSunCodes(tk, m)
	img, mt, err := sc.Get(ctx, "acme", wxApp, SunCode{Scene: "T01"})
	if err != nil || string(img) != "img:T01" || mt != "image/png" {
		t.Fatalf("Get = %q, %q, %v; want the image made with a refreshed token", img, mt, err)
	}
	if m.calls != 2 {
		t.Errorf("%d calls to WeChat, want 2 (stale, then fresh)", m.calls)
	}
	if _, _, err := sc.Get(ctx, "acme", wxApp, SunCode{Scene: "T01"}); err != nil || m.calls != 2 {
		t.Errorf("second Get: %v, %d calls; want the kept image", err, m.calls)
	}
	if _, _, err := sc.Get(ctx, "other", wxApp, SunCode{Scene: "T01"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another tenant's Get err = %v, want ErrNotFound", err)
	}
}
