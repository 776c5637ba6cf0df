package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestLimiterRefillsAndSeparatesClients(t *testing.T) {
	l := newLimiter(2, 4, shardOf) // 2/s, bursts of 4
	t0 := time.Unix(1000, 0)
	for i := 0; i < 4; i++ {
		if ok, _ := l.allow(addr("192.0.2.1"), t0); !ok {
			t.Fatalf("request %d within the burst refused", i+1)
		}
	}
	ok, wait := l.allow(addr("192.0.2.1"), t0)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("5th request = %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.allow(addr("192.0.2.2"), t0); !ok {
		t.Fatal("another client was limited by the first one's burst")
	}
	if ok, _ := l.allow(addr("192.0.2.1"), t0.Add(500*time.Millisecond)); !ok {
		t.Fatal("no token after 500ms at 2/s")
	}
	if ok, _ := l.allow(addr("192.0.2.1"), t0.Add(500*time.Millisecond)); ok {
		t.Fatal("two tokens after 500ms at 2/s")
	}
	if newLimiter(0, 10, shardOf) != nil {
		t.Fatal("rate 0 must mean no limiter")
	}
}

func TestLimiterKeepsThrottledClientsUnderAFlood(t *testing.T) {
	l := newLimiter(1, 1, shardOf)
	now := time.Unix(0, 0)
	l.allow(addr("192.0.2.99"), now)
	if ok, _ := l.allow(addr("192.0.2.99"), now); ok {
		t.Fatal("second request within the burst of 1 allowed")
	}
	for i := 0; i < 64*maxBucketsPerShard*2; i++ {
		l.allow(nth(i), now)
	}
	if ok, _ := l.allow(addr("192.0.2.99"), now); ok {
		t.Fatal("a flood of new addresses reset a throttled client's limit")
	}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// nth is the i-th address of 198.18.0.0/15 and beyond: distinct clients.
func nth(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18 + byte(i>>16), byte(i >> 8), byte(i)})
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::"},
		{"::ffff:203.0.113.7", "::ffff:203.0.113.7"},
	} {
		if got := clientKey(addr(tc.ip)); got.String() != tc.want {
			t.Errorf("clientKey(%s) = %s, want %s", tc.ip, got, tc.want)
		}
	}
	if clientKey(addr("2001:db8:1:2::1")) != clientKey(addr("2001:db8:1:2::2")) {
		t.Error("two addresses of one /64 are two clients")
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := newLimiter(1, 1, shardOf)
	now := time.Unix(0, 0)
	for i := 0; i < 64*maxBucketsPerShard*2; i++ {
		l.allow(nth(i), now)
	}
	total := 0
	for i := range l.shards {
		total += len(l.shards[i].buckets)
	}
	if total > 64*maxBucketsPerShard {
		t.Fatalf("limiter holds %d buckets, bound %d", total, 64*maxBucketsPerShard)
	}
}

func TestPublicEndpointsAreRateLimited(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.APIRatePerMinute = 3; c.ScanRate = 1 })
	// The limiters read the server's clock. It stands still unless the test
	// moves it, so no allowance refills while a slow machine runs the test.
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	e.srv.now = func() time.Time { return now }
	e.json("POST", "/api/v1/links", e.admin, `{"code":"rl1","targets":{"web":{"url":"https://e.com/"}}}`)
	for i := 0; i < 3; i++ {
		if rec := e.do("GET", "/api/v1/scene/rl1", "", "", ""); rec.Code != 200 {
			t.Fatalf("request %d within the limit = %d", i+1, rec.Code)
		}
	}
	rec := e.do("GET", "/api/v1/scene/rl1", "", "", "")
	// 3 a minute: the next request is allowed 20 s on.
	if rec.Code != 429 || errorOf(t, rec).Code != "rate_limited" || rec.Header().Get("Retry-After") != "20" {
		t.Fatalf("4th request = %d %s Retry-After %q; want 429 with Retry-After 20", rec.Code, rec.Body, rec.Header().Get("Retry-After"))
	}
	// Another address is unaffected; scans have their own budget.
	if rec := e.do("GET", "/s/rl1", "", "", ""); rec.Code != 302 {
		t.Fatalf("scan after the API limit = %d, want 302", rec.Code)
	}
	e.do("GET", "/s/rl1", "", "", "")
	if rec := e.do("GET", "/s/rl1", "", "", ""); rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("3rd scan at 1/s with burst 2 = %d Retry-After %q; want 429 with Retry-After 1", rec.Code, rec.Header().Get("Retry-After"))
	}
	req := httptest.NewRequest("GET", "/api/v1/scene/rl1", nil)
	req.RemoteAddr = "203.0.113.9:5555"
	rec2 := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec2, req)
	if rec2.Code != 200 {
		t.Fatalf("another address = %d, want 200", rec2.Code)
	}

	now = now.Add(time.Second)
	if rec := e.do("GET", "/s/rl1", "", "", ""); rec.Code != 302 {
		t.Fatalf("scan a second after the limit = %d, want 302", rec.Code)
	}
	if rec := e.do("GET", "/api/v1/scene/rl1", "", "", ""); rec.Code != 429 || rec.Header().Get("Retry-After") != "19" {
		t.Fatalf("API request a second after the limit = %d Retry-After %q; want 429 with Retry-After 19", rec.Code, rec.Header().Get("Retry-After"))
	}
	now = now.Add(19 * time.Second)
	if rec := e.do("GET", "/api/v1/scene/rl1", "", "", ""); rec.Code != 200 {
		t.Fatalf("API request once Retry-After has passed = %d, want 200", rec.Code)
	}
}
