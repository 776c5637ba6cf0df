package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestScanRedirects(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"code":"web1","targets":{"web":{"url":"https://m.example.com/menu?store=PD01"}}}`,
		`{"code":"paused1","status":"paused","fallback_url":"https://www.example.com/closed","targets":{"web":{"url":"https://m.example.com/"}}}`,
		`{"code":"paused2","status":"paused","targets":{"web":{"url":"https://m.example.com/"}}}`,
		`{"code":"later1","starts_at":"2099-01-01T00:00:00Z","targets":{"web":{"url":"https://m.example.com/"}}}`,
	} {
		if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
			t.Fatalf("create %s = %d %s", body, rec.Code, rec.Body)
		}
	}
	for _, tc := range []struct {
		name, path string
		status     int
		location   string
	}{
		{"web target", "/s/web1", 302, "https://m.example.com/menu?store=PD01"},
		{"upper-case URL", "/S/WEB1", 302, "https://m.example.com/menu?store=PD01"},
		{"paused with fallback", "/s/paused1", 302, "https://www.example.com/closed"},
		{"paused without fallback", "/s/paused2", 410, ""},
		{"not started", "/s/later1", 410, ""},
		{"unknown code", "/s/nothere", 404, ""},
		{"invalid code", "/s/a.b", 404, ""},
		{"verification file at root", "/MP_verify_abc123.txt", 200, ""},
		{"verification file under /s/", "/s/MP_verify_abc123.txt", 200, ""},
		{"unknown verification file", "/other.txt", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do("GET", tc.path, "", "", "")
			if rec.Code != tc.status || rec.Header().Get("Location") != tc.location {
				t.Fatalf("GET %s = %d Location %q, want %d %q", tc.path, rec.Code, rec.Header().Get("Location"), tc.status, tc.location)
			}
			if tc.status == 302 && rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("redirect Cache-Control = %q, want no-store", rec.Header().Get("Cache-Control"))
			}
			if tc.status >= 400 {
				if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || rec.Header().Get("Content-Security-Policy") == "" {
					t.Errorf("error page Content-Type %q, CSP %q", ct, rec.Header().Get("Content-Security-Policy"))
				}
			}
		})
	}
	if rec := e.do("GET", "/MP_verify_abc123.txt", "", "", ""); rec.Body.String() != "abc123content" {
		t.Errorf("verification file body = %q", rec.Body)
	}
}

func TestErrorPageEscapesCode(t *testing.T) {
	e := newEnv(t)
	// Valid codes cannot carry markup; the page still escapes what it shows.
	rec := e.do("GET", "/s/%3Cscript%3E", "", "", "")
	if rec.Code != 404 || strings.Contains(rec.Body.String(), "<script>") {
		t.Fatalf("GET /s/<script> = %d, body contains raw markup: %s", rec.Code, rec.Body)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	if rec := e.do("GET", "/healthz", "", "", ""); rec.Code != 200 {
		t.Errorf("healthz = %d", rec.Code)
	}
	ready := func() (int, Readiness) {
		rec := e.do("GET", "/readyz", "", "", "")
		var r Readiness
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("readyz body %q: %v", rec.Body, err)
		}
		return rec.Code, r
	}
	if code, r := ready(); code != 200 || r.Status != "ok" || r.Redis.State != "up" || r.Cache.State != "in_sync" || r.Stats.State != "writing" {
		t.Errorf("readyz = %d %+v", code, r)
	}
	// Without Redis the instance still answers cached scans: degraded, 200.
	e.rdb.Close()
	if code, r := ready(); code != 200 || r.Status != "degraded" || r.Redis.State != "down" || r.Redis.Error == "" {
		t.Errorf("readyz with the store closed = %d %+v, want 200 degraded, Redis down", code, r)
	}
	// Shutting down: load balancers must stop sending traffic.
	e.srv.SetDraining()
	if code, r := ready(); code != http.StatusServiceUnavailable || r.Status != "unavailable" || r.Reason != "shutting down" {
		t.Errorf("readyz while draining = %d %+v, want 503", code, r)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MetricsToken = "metrics-token-0123456" })
	if rec := e.do("GET", "/metrics", "", "", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token = %d, want 401", rec.Code)
	}
	if rec := e.do("GET", "/metrics", "wrong-token-0123456789", "", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token = %d, want 401", rec.Code)
	}
	noToken, _ := e.loggedServer()
	rec := httptest.NewRecorder()
	noToken.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("/metrics with no token configured = %d, want 404 (served only on metrics.listen)", rec.Code)
	}
	e.json("POST", "/api/v1/links", e.admin, `{"code":"met1","targets":{"web":{"url":"https://e.com/"}}}`)
	e.do("GET", "/s/met1", "", "", "", "User-Agent", uaAlipayAndroid)
	e.do("GET", "/s/met1", "", "", "", "User-Agent", uaFacebookBot)
	rec = e.do("GET", "/metrics", "metrics-token-0123456", "", "")
	body := rec.Body.String()
	for _, want := range []string{
		`scangate_http_requests_total{route="/s/:code",status="302"} 2`,
		`scangate_scans_total{platform="alipay"} 1`,
		`scangate_scans_total{platform="browser"} 0`,
		"scangate_stats_events_recorded_total 1",
		"scangate_stats_events_dropped_total 0",
		// Present, but not an exact value: the create's own invalidation
		// may reach the cache after the scan filled it, and empty it again.
		"scangate_link_cache_entries ",
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if rec.Code != 200 || t.Failed() {
		t.Logf("/metrics = %d:\n%s", rec.Code, body)
	}
}

func TestHeadAnswersLikeGetWithoutCounting(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"head1","max_scans":1,"targets":{"web":{"url":"https://e.com/"}}}`)
	for i := 0; i < 3; i++ {
		rec := e.do("HEAD", "/s/head1", "", "", "", "User-Agent", uaSafariIOS)
		if rec.Code != 302 || rec.Header().Get("Location") != "https://e.com/" {
			t.Fatalf("HEAD %d = %d %q, want 302 like GET", i, rec.Code, rec.Header().Get("Location"))
		}
	}
	if rec := e.do("HEAD", "/MP_verify_abc123.txt", "", "", ""); rec.Code != 200 {
		t.Errorf("HEAD verification file = %d", rec.Code)
	}
	// HEADs used none of the single allowed scan.
	if rec := e.do("GET", "/s/head1", "", "", "", "User-Agent", uaSafariIOS); rec.Code != 302 {
		t.Fatalf("first GET after HEADs = %d, want 302: HEAD used up max_scans", rec.Code)
	}
	e.drainStats()
	got := decode[map[string]any](t, e.do("GET", "/api/v1/links/head1", e.viewer, "", ""))
	if got["scans"] != 1.0 {
		t.Errorf("scans = %v, want 1 (HEADs are not scans)", got["scans"])
	}
}

func TestScanWithTheStoreDownShowsA503Page(t *testing.T) {
	e := newEnv(t)
	e.rdb.Close()
	rec := e.do("GET", "/s/uncached1", "", "", "", "User-Agent", uaSafariIOS, "Accept-Language", "zh-CN")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "服务暂时不可用") {
		t.Fatalf("scan of an uncached code with Redis down = %d:\n%s", rec.Code, rec.Body)
	}
}
