package links

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/redistest"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// waitFeedState waits until s's change feed reports state.
func waitFeedState(t testing.TB, s *Store, state string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		s.feed.mu.Lock()
		got, changed := s.feed.status.State, s.feed.changed
		s.feed.mu.Unlock()
		if got == state {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("change feed is %s, never became %s", got, state)
		}
	}
}

// TestCachedLinksAnswerThroughAnOutage kills redis-server under a store that
// has cached a link, moves the clock far past the cache TTL, and checks that
// the cached code keeps answering while an unknown one says "unavailable",
// never "not found"; then Redis comes back and the store is current again.
func TestCachedLinksAnswerThroughAnOutage(t *testing.T) {
	srv, err := redistest.Start(redistest.Options{AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	rdb := redis.NewClient(srv.Options())
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := NewStore(rdb, Options{CacheTTL: 10 * time.Second})
	s.now = clock.Now
	listenStore(t, s)
	mustCreate(t, s, "acme", `{"code":"out1",`+webOnly[1:])
	limited := mustCreate(t, s, "acme", `{"code":"out2","max_scans":5,`+webOnly[1:])
	waitFeed(t, s) // its own creates come back through the feed and drop the codes
	for _, c := range []string{"out1", "out2"} {
		if _, err := s.Lookup(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	srv.Kill()
	waitFeedState(t, s, FeedStale)
	if !s.Degraded() {
		t.Fatal("Degraded() = false with Redis killed")
	}
	clock.Advance(time.Hour) // far past the TTL: every entry is stale
	for i := 0; i < 50; i++ {
		l, err := s.Lookup(ctx, "OUT1")
		if err != nil || l.Code != "out1" {
			t.Fatalf("cached link during the outage = %v, %v; want it served from memory", l, err)
		}
	}
	if _, err := s.Lookup(ctx, "nothere1"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("uncached code during the outage err = %v, want ErrUnavailable (a 503, not a 404)", err)
	}
	start := time.Now()
	if _, err := admit(ctx, s, limited); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Admit during the outage err = %v, want ErrUnavailable without waiting for Redis", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("Admit during the outage took %v: it must not wait for a connection timeout", d)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	waitFeedState(t, s, FeedInSync)
	if st := s.FeedStatus(); st.Resyncs != 0 {
		t.Fatalf("resyncs = %d: the feed's last entry survived the restart (AOF), so catching up needs none", st.Resyncs)
	}
	if _, err := s.Update(ctx, "acme", "out1", edit(func(in *Input) { in.Title = "after" })); err != nil {
		t.Fatal(err)
	}
	if l, err := s.Lookup(ctx, "out1"); err != nil || l.Title != "after" {
		t.Fatalf("Lookup after the outage = %+v, %v", l, err)
	}
}

// TestFeedCatchesUpAfterACut cuts one instance off Redis while another
// edits links, and checks that the cut-off instance, once reconnected, sees
// exactly those changes: from the stream when its place is still there, by
// revalidating its whole cache when the stream was trimmed past it.
func TestFeedCatchesUpAfterACut(t *testing.T) {
	srv, err := redistest.Start(redistest.Options{TCP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	ctx := context.Background()
	direct := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { direct.Close() })
	proxy := startCutProxy(t, srv.Addr())
	viaProxy := redis.NewClient(&redis.Options{Addr: proxy.Addr(), MaxRetries: -1})
	t.Cleanup(func() { viaProxy.Close() })

	a := NewStore(direct, Options{CacheTTL: time.Hour})
	listenStore(t, a)
	b := NewStore(viaProxy, Options{CacheTTL: time.Hour, NegativeTTL: time.Hour})
	listenStore(t, b)
	for _, c := range []string{"cut1", "cut2", "cut3"} {
		mustCreate(t, a, "acme", `{"code":"`+c+`","title":"v1",`+webOnly[1:])
	}
	waitFeed(t, b)
	for _, c := range []string{"cut1", "cut2", "cut3"} {
		if _, err := b.Lookup(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	// A short cut: B's place in the stream survives, so it reads on.
	proxy.Cut()
	waitFeedState(t, b, FeedStale)
	if _, err := a.Update(ctx, "acme", "cut1", edit(func(in *Input) { in.Title = "v2" })); err != nil {
		t.Fatal(err)
	}
	if l, _ := b.Lookup(ctx, "cut1"); l == nil || l.Title != "v1" {
		t.Fatalf("B while cut off = %+v, want its cached v1", l)
	}
	proxy.Restore()
	// In sync means caught up: no waiting for the feed beyond that.
	waitFeedState(t, b, FeedInSync)
	if l, _ := b.Lookup(ctx, "cut1"); l == nil || l.Title != "v2" {
		t.Fatalf("B once in sync after the cut = %+v, want v2", l)
	}
	if n := b.FeedStatus().Resyncs; n != 0 {
		t.Fatalf("resyncs = %d after a cut the stream covered", n)
	}

	// A long cut: the stream is trimmed past B's place, so B must
	// revalidate everything it holds.
	proxy.Cut()
	waitFeedState(t, b, FeedStale)
	if _, err := a.Update(ctx, "acme", "cut2", edit(func(in *Input) { in.Title = "v2" })); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, "acme", "cut3", Actor{By: "key:test"}); err != nil {
		t.Fatal(err)
	}
	if err := direct.XTrimMaxLen(ctx, changesKey, 0).Err(); err != nil {
		t.Fatal(err)
	}
	proxy.Restore()
	waitFeedState(t, b, FeedInSync)
	if n := b.FeedStatus().Resyncs; n != 1 {
		t.Fatalf("resyncs = %d, want 1 after the stream was trimmed past B", n)
	}
	if l, _ := b.Lookup(ctx, "cut2"); l == nil || l.Title != "v2" {
		t.Fatalf("B after the trimmed cut = %+v, want v2", l)
	}
	if l, err := b.Lookup(ctx, "cut3"); err != nil || l.DeletedAt == nil {
		t.Fatalf("B's deleted link after the trimmed cut = %v, %v; want it in the trash", l, err)
	}
	// And it follows the feed again afterwards.
	if _, err := a.Update(ctx, "acme", "cut2", edit(func(in *Input) { in.Title = "v3" })); err != nil {
		t.Fatal(err)
	}
	waitFeed(t, b)
	if l, _ := b.Lookup(ctx, "cut2"); l == nil || l.Title != "v3" {
		t.Fatalf("B after resync and a new edit = %+v, want v3", l)
	}
}

// cutProxy forwards TCP to a Redis server until Cut, which closes every
// connection and refuses new ones (accepting and closing them) until
// Restore: a network cut of one client, with the server still up.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
}

func startCutProxy(t testing.TB, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: make(map[net.Conn]struct{})}
	t.Cleanup(func() { ln.Close(); p.Cut() })
	go p.serve()
	return p
}

func (p *cutProxy) Addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *cutProxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// TestRevalidationFencesOlderReads: a read that began before a full
// revalidation replaced an entry (a background revalidation, a miss) must
// not be cached over the newer version.
func TestRevalidationFencesOlderReads(t *testing.T) {
	c := newCache(100, time.Hour, time.Second)
	now := time.Now()
	v1 := &Link{Input: Input{Title: "v1"}, UpdatedAt: now}
	c.put("K", v1, now)
	gen := c.generation() // a read of v1 starts...
	v2 := &Link{Input: Input{Title: "v2"}, UpdatedAt: now.Add(time.Second)}
	c.revalidated(map[string]*Link{"K": v1}, map[string]*Link{"K": v2}, now)
	c.putIfCurrent("K", v1, now, gen) // ...and lands after the revalidation
	if l, _ := c.get("K", now); l == nil || l.Title != "v2" {
		t.Fatalf("cached %+v after the revalidation, want v2", l)
	}
}

// TestFeedSinceIsOneOutage: a feed that catches up and falls back to stale
// while Redis flaps reports one outage, since it was lost, not since the
// last retry.
func TestFeedSinceIsOneOutage(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := newFeed(t0)
	f.set(FeedInSync, nil, t0)
	lost := t0.Add(time.Minute)
	f.set(FeedStale, nil, lost)
	f.set(FeedCatchingUp, nil, lost.Add(time.Second))
	f.set(FeedStale, nil, lost.Add(2*time.Second))
	if f.status.Since != lost {
		t.Fatalf("stale since %v, want %v (when the feed was lost)", f.status.Since, lost)
	}
	back := lost.Add(time.Hour)
	f.set(FeedInSync, nil, back)
	if f.status.Since != back {
		t.Fatalf("in sync since %v, want %v", f.status.Since, back)
	}
}
