package apps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeFetcher stands for a platform: it issues tokens good for 2 h, counts
// its calls, refuses a wrong secret with the platform's code, and can be
// made unreachable.
type fakeFetcher struct {
	mu          sync.Mutex
	now         func() time.Time
	secret      string
	calls       int
	forced      int
	unreachable bool
	entered     chan struct{} // when set, a fetch signals and waits for release
	release     chan struct{}
}

var errWrongSecret = errors.New("fake: wrong secret")

func (f *fakeFetcher) Fetch(ctx context.Context, appID, secret string, force bool) (string, time.Time, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if force {
		f.forced++
	}
	switch {
	case f.unreachable:
		return "", time.Time{}, errors.New("fake: connection refused")
	case secret != f.secret:
		return "", time.Time{}, errWrongSecret
	}
	return fmt.Sprintf("token-%d", f.calls), f.now().Add(2 * time.Hour), nil
}

func (f *fakeFetcher) Refused(err error) (int, string, bool) {
	if errors.Is(err, errWrongSecret) {
		return 40125, "invalid appsecret", true
	}
	return 0, "", false
}

func (f *fakeFetcher) Stale(err error) bool { return false }

func (f *fakeFetcher) count() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.forced
}

// tokenSetup is an app registered on a store, with a clock the test moves.
type tokenSetup struct {
	store *Store
	fake  *fakeFetcher
	clock time.Time
}

func newTokenSetup(t *testing.T) *tokenSetup {
	t.Helper()
	ts := &tokenSetup{store: newTestStore(t), clock: time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)}
	ts.store.now = func() time.Time { return ts.clock }
	ts.fake = &fakeFetcher{now: func() time.Time { return ts.clock }, secret: wxSecret}
	if _, err := ts.store.Put(context.Background(), "acme", WeChat, wxApp, Input{Secret: wxSecret}); err != nil {
		t.Fatal(err)
	}
	return ts
}

// instance is one gateway's token keeper over the same Redis.
func (ts *tokenSetup) instance() *Tokens {
	tk := NewTokens(&Store{rdb: ts.store.rdb, sealer: ts.store.sealer, now: ts.store.now},
		map[string]Fetcher{WeChat: ts.fake}, 5*time.Second)
	tk.now = func() time.Time { return ts.clock }
	return tk
}

// TestOneFetchForEveryInstance: two instances asked at once, from many
// goroutines, share one token fetched once.
func TestOneFetchForEveryInstance(t *testing.T) {
	ts := newTokenSetup(t)
	ts.fake.entered, ts.fake.release = make(chan struct{}), make(chan struct{})
	a, b := ts.instance(), ts.instance()
	for _, tk := range []*Tokens{a, b} {
		// The waiters poll the shared token while the fetch is held; the
		// fake clock does not move, so they wait as long as it takes.
		tk.sleep = func(ctx context.Context, d time.Duration) error { time.Sleep(time.Millisecond); return nil }
	}
	var wg sync.WaitGroup
	got := make([]string, 40)
	errs := make([]error, 40)
	for i := range got {
		tk := a
		if i%2 == 1 {
			tk = b
		}
		wg.Go(func() { got[i], errs[i] = tk.Token(context.Background(), "acme", WeChat, wxApp) })
	}
	<-ts.fake.entered // one fetch is under way, holding the lock
	close(ts.fake.release)
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != "token-1" {
			t.Errorf("caller %d: %q, %v; want token-1", i, got[i], errs[i])
		}
	}
	if calls, _ := ts.fake.count(); calls != 1 {
		t.Errorf("%d fetches, want 1", calls)
	}
	if app, _ := ts.store.Get(context.Background(), "acme", WeChat, wxApp); app.State != StateOK {
		t.Errorf("state after a good fetch = %q, want ok", app.State)
	}
}

func TestTokenRefreshedAheadOfExpiry(t *testing.T) {
	ts := newTokenSetup(t)
	tk := ts.instance()
	ctx := context.Background()
	first, err := tk.Token(ctx, "acme", WeChat, wxApp)
	if err != nil {
		t.Fatal(err)
	}
	ts.clock = ts.clock.Add(2*time.Hour - refreshAhead - time.Second)
	if tok, _ := tk.Token(ctx, "acme", WeChat, wxApp); tok != first {
		t.Errorf("token before the refresh window = %q, want %q", tok, first)
	}
	ts.clock = ts.clock.Add(2 * time.Second)
	if tok, _ := tk.Token(ctx, "acme", WeChat, wxApp); tok == first || tok == "" {
		t.Errorf("token within %v of expiry = %q, want a new one", refreshAhead, tok)
	}
}

func TestRefusedSecretNotRetriedInALoop(t *testing.T) {
	ts := newTokenSetup(t)
	ts.fake.secret = "the right one is another"
	tk := ts.instance()
	ctx := context.Background()
	app, err := tk.Check(ctx, "acme", WeChat, wxApp)
	if err != nil || app.State != StateError || app.ErrorCode != 40125 || !app.NextCheck.Equal(ts.clock.Add(refusedBackoff)) {
		t.Fatalf("Check = %+v, %v; want state error 40125, next check in %v", app, err, refusedBackoff)
	}
	for range 5 {
		if _, err := tk.Token(ctx, "acme", WeChat, wxApp); !errors.Is(err, ErrRefused) {
			t.Errorf("Token err = %v, want ErrRefused", err)
		}
	}
	if calls, _ := ts.fake.count(); calls != 1 {
		t.Errorf("%d fetches after a refusal, want 1: no retry before the backoff", calls)
	}
	ts.clock = ts.clock.Add(refusedBackoff)
	tk.Token(ctx, "acme", WeChat, wxApp)
	if calls, _ := ts.fake.count(); calls != 2 {
		t.Errorf("%d fetches after the backoff, want 2", calls)
	}
	// A new PUT with the right secret is checked at once.
	ts.fake.secret = wxSecret
	if _, err := ts.store.Put(ctx, "acme", WeChat, wxApp, Input{Secret: wxSecret}); err != nil {
		t.Fatal(err)
	}
	if app, err := tk.Check(ctx, "acme", WeChat, wxApp); err != nil || app.State != StateOK {
		t.Errorf("Check after a new PUT = %+v, %v; want ok", app, err)
	}
}

func TestUnreachablePlatformLeavesAppUnchecked(t *testing.T) {
	ts := newTokenSetup(t)
	ts.fake.unreachable = true
	app, err := ts.instance().Check(context.Background(), "acme", WeChat, wxApp)
	if err != nil || app.State != StateUnchecked || !strings.Contains(app.ErrorMessage, "connection refused") {
		t.Errorf("Check = %+v, %v; want unchecked, saying the platform could not be reached", app, err)
	}
}

func TestRefreshAStaleToken(t *testing.T) {
	ts := newTokenSetup(t)
	a, b := ts.instance(), ts.instance()
	ctx := context.Background()
	stale, _ := a.Token(ctx, "acme", WeChat, wxApp)
	fresh, err := a.Refresh(ctx, "acme", WeChat, wxApp, stale)
	if err != nil || fresh == stale {
		t.Fatalf("Refresh = %q, %v; want a new token", fresh, err)
	}
	// Another instance that saw the same stale token gets the new one,
	// without a second forced refresh.
	if got, err := b.Refresh(ctx, "acme", WeChat, wxApp, stale); err != nil || got != fresh {
		t.Errorf("second Refresh = %q, %v; want %q", got, err, fresh)
	}
	if _, forced := ts.fake.count(); forced != 1 {
		t.Errorf("%d forced refreshes, want 1", forced)
	}
	// Within 30 s of a forced refresh WeChat would not issue another.
	if _, err := a.Refresh(ctx, "acme", WeChat, wxApp, fresh); !errors.Is(err, ErrBusy) {
		t.Errorf("Refresh within 30 s err = %v, want ErrBusy", err)
	}
	ts.clock = ts.clock.Add(forceSpacing)
	if got, err := a.Refresh(ctx, "acme", WeChat, wxApp, fresh); err != nil || got == fresh {
		t.Errorf("Refresh after 30 s = %q, %v; want a new token", got, err)
	}
}

// TestTokenSealed: the shared token is not in Redis in clear.
func TestTokenSealed(t *testing.T) {
	ts := newTokenSetup(t)
	tok, err := ts.instance().Token(context.Background(), "acme", WeChat, wxApp)
	if err != nil {
		t.Fatal(err)
	}
	v := ts.store.rdb.Get(context.Background(), tokenKey(WeChat, wxApp)).Val()
	if v == "" || strings.Contains(v, tok) {
		t.Errorf("stored token %q: want it sealed", v)
	}
}

// TestForcedRefreshAllowance: WeChat allows 20 forced refreshes a day (by
// China's calendar), 30 s apart. A refused try takes nothing from the
// allowance and does not restart the 30 s.
func TestForcedRefreshAllowance(t *testing.T) {
	ts := newTokenSetup(t)
	// 23:30 in China, 15:30 UTC.
	ts.clock = time.Date(2026, 12, 3, 15, 30, 0, 0, time.UTC)
	tk := ts.instance()
	ctx := context.Background()
	tok, _ := tk.Token(ctx, "acme", WeChat, wxApp)
	refresh := func() error {
		var err error
		next, err := tk.Refresh(ctx, "acme", WeChat, wxApp, tok)
		if err == nil {
			tok = next
		}
		return err
	}
	if err := refresh(); err != nil {
		t.Fatal(err)
	}
	ts.clock = ts.clock.Add(20 * time.Second)
	if err := refresh(); !errors.Is(err, ErrBusy) {
		t.Fatalf("a force 20 s after one: %v, want ErrBusy", err)
	}
	ts.clock = ts.clock.Add(11 * time.Second) // 31 s after the real one
	if err := refresh(); err != nil {
		t.Fatalf("a force 31 s after the last real one (a refused try between): %v", err)
	}
	for range maxForcesPerDay - 2 {
		ts.clock = ts.clock.Add(forceSpacing)
		if err := refresh(); err != nil {
			t.Fatalf("force within the day's 20: %v", err)
		}
	}
	ts.clock = ts.clock.Add(forceSpacing) // still 23:xx in China
	if err := refresh(); !errors.Is(err, ErrBusy) {
		t.Fatalf("the 21st force of the day: %v, want ErrBusy", err)
	}
	ts.clock = time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC) // 00:00 in China: a new day
	if err := refresh(); err != nil {
		t.Errorf("the first force of China's next day: %v", err)
	}
	if _, forced := ts.fake.count(); forced != maxForcesPerDay+1 {
		t.Errorf("%d forced refreshes, want %d", forced, maxForcesPerDay+1)
	}
}

// sameTokenFetcher answers like a platform that gives back the same token
// with its remaining life: in its last minutes, every fetch returns it
// again.
type sameTokenFetcher struct {
	fakeFetcher
	expires time.Time
}

func (f *sameTokenFetcher) Fetch(ctx context.Context, appID, secret string, force bool) (string, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return "the-token", f.expires, nil
}

// TestTokenInItsLastMinutes: a token the platform keeps handing back in its
// last minutes is fetched again at most once a minute, not for every use.
func TestTokenInItsLastMinutes(t *testing.T) {
	ts := newTokenSetup(t)
	f := &sameTokenFetcher{expires: ts.clock.Add(4 * time.Minute)}
	tk := NewTokens(ts.store, map[string]Fetcher{WeChat: f}, 5*time.Second)
	tk.now = func() time.Time { return ts.clock }
	for i := range 100 {
		if tok, err := tk.Token(context.Background(), "acme", WeChat, wxApp); err != nil || tok != "the-token" {
			t.Fatalf("Token %d = %q, %v", i, tok, err)
		}
		ts.clock = ts.clock.Add(time.Second) // 100 s in all
	}
	if f.calls > 3 {
		t.Errorf("%d fetches for 100 uses over 100 s, want at most one a minute", f.calls)
	}
}

// TestAppTakeover: an app id held with credentials the platform refused
// may be taken over by a tenant with working ones; one with working
// credentials may not.
func TestAppTakeover(t *testing.T) {
	ts := newTokenSetup(t) // acme holds wxApp with the right secret
	tk := ts.instance()
	ctx := context.Background()
	if _, err := tk.Check(ctx, "acme", WeChat, wxApp); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.store.Put(ctx, "squatter", WeChat, wxApp, Input{Secret: "made-up"}); !errors.Is(err, ErrTaken) {
		t.Fatalf("taking an app with working credentials: %v, want ErrTaken", err)
	}
	// Now the squatter holds an app id acme has not registered yet.
	const other = "wx00000000000000ff"
	if _, err := ts.store.Put(ctx, "squatter", WeChat, other, Input{Secret: "made-up"}); err != nil {
		t.Fatal(err)
	}
	if a, _ := tk.Check(ctx, "squatter", WeChat, other); a.State != StateError {
		t.Fatalf("squatter's app state %q, want error", a.State)
	}
	if _, err := ts.store.Put(ctx, "acme", WeChat, other, Input{Secret: wxSecret}); err != nil {
		t.Fatalf("taking over an app whose credentials were refused: %v", err)
	}
	if list, _ := ts.store.List(ctx, "squatter"); len(list) != 0 {
		t.Errorf("the squatter still lists %+v", list)
	}
	if _, err := ts.store.Get(ctx, "squatter", WeChat, other); !errors.Is(err, ErrNotFound) {
		t.Errorf("the squatter's Get: %v, want ErrNotFound", err)
	}
}

// TestDeleteDropsTheToken: a deleted app's shared token goes with it.
func TestDeleteDropsTheToken(t *testing.T) {
	ts := newTokenSetup(t)
	ctx := context.Background()
	if _, err := ts.instance().Token(ctx, "acme", WeChat, wxApp); err != nil {
		t.Fatal(err)
	}
	if err := ts.store.Delete(ctx, "acme", WeChat, wxApp); err != nil {
		t.Fatal(err)
	}
	if n := ts.store.rdb.Exists(ctx, tokenKey(WeChat, wxApp)).Val(); n != 0 {
		t.Error("the token outlived its app")
	}
}
