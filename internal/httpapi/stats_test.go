package httpapi

import (
	"encoding/csv"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScansReachTheStatsAPI(t *testing.T) {
	e := newEnv(t)
	// Events are stamped with the server's clock: held still, it makes
	// "the day of the scans" one day, even across midnight.
	at := time.Now().UTC()
	e.srv.now = func() time.Time { return at }
	e.json("POST", "/api/v1/links", e.admin, `{"code":"st1","campaign":"spring",`+multiTargets+`}`)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"st2","campaign":"spring","targets":{"web":{"url":"https://e.com/"}}}`)
	scan := func(code, ua, ip string) {
		req := httptestRequest("GET", "/s/"+code, ua, ip)
		e.srv.Handler().ServeHTTP(discard(), req)
	}
	scan("st1", uaAlipayAndroid, "198.51.100.1:1000")
	scan("st1", uaAlipayAndroid, "198.51.100.1:1001") // same visitor again
	scan("st1", uaWeChatIOS, "198.51.100.2:1000")
	scan("ST1", uaSafariIOS, "198.51.100.3:1000")
	scan("st1", uaFacebookBot, "198.51.100.4:1000") // not counted
	scan("st2", uaSafariIOS, "198.51.100.3:1000")   // same person, other link of the campaign
	if rec := e.do("GET", "/api/v1/scene?q="+url.QueryEscape("https://gw.example.com/s/st1")+"&platform=wechat", "", "", ""); rec.Code != 200 {
		t.Fatalf("scene ?q= = %d %s", rec.Code, rec.Body)
	}
	e.json("POST", "/api/v1/events", "", `{"code":"st1","type":"open","platform":"wechat"}`)
	e.json("POST", "/api/v1/events", e.admin, `{"code":"st1","type":"conversion","value":3800}`)
	e.drainStats()

	today := at.Format("2006-01-02")
	rep := decode[map[string]any](t, e.do("GET", "/api/v1/links/st1/stats?from="+today+"&to="+today, e.viewer, "", ""))
	totals := rep["totals"].(map[string]any)
	if totals["scans"] != 5.0 || totals["unique_visitors"] != 4.0 || totals["opens"] != 1.0 || totals["conversions"] != 1.0 {
		t.Errorf("totals = %v; want 5 scans (4 gateway + 1 app, no bot), 4 visitors, 1 open, 1 conversion", totals)
	}
	if diff := cmp.Diff(map[string]any{"alipay": 2.0, "wechat": 2.0, "browser": 1.0}, rep["by_platform"]); diff != "" {
		t.Errorf("by_platform (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"gateway": 4.0, "app": 1.0}, rep["by_channel"]); diff != "" {
		t.Errorf("by_channel (-want +got):\n%s", diff)
	}
	if rep["code"] != "st1" {
		t.Errorf("report code = %v, want the link's own spelling", rep["code"])
	}

	camp := decode[map[string]any](t, e.do("GET", "/api/v1/campaigns/spring/stats?from="+today+"&to="+today, e.viewer, "", ""))
	ct := camp["totals"].(map[string]any)
	if ct["scans"] != 6.0 || ct["unique_visitors"] != 4.0 {
		t.Errorf("campaign totals = %v; want 6 scans and 4 visitors (one person on both links counted once)", ct)
	}

	got := decode[map[string]any](t, e.do("GET", "/api/v1/links/st1", e.viewer, "", ""))
	if got["scans"] != 5.0 {
		t.Errorf("link scans field = %v, want 5", got["scans"])
	}

	// The raw stream is indexed by Redis's own clock, which may have passed
	// midnight since: ask for the day after too.
	tomorrow := at.AddDate(0, 0, 1).Format("2006-01-02")
	rec := e.do("GET", "/api/v1/events.csv?code=st1&from="+today+"&to="+tomorrow, e.viewer, "", "")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("events.csv = %d %s", rec.Code, rec.Header())
	}
	rows, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil || len(rows) != 1+7 {
		t.Fatalf("events.csv rows = %d (%v), want header + 5 scans + open + conversion:\n%s", len(rows), err, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "198.51.100") {
		t.Error("events.csv contains a raw client address")
	}
}

func TestStatsAPIErrorsAndIsolation(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"iso1","campaign":"c","targets":{"web":{"url":"https://e.com/"}}}`)
	for _, tc := range []struct {
		path, key string
		status    int
		field     string
	}{
		{"/api/v1/links/iso1/stats", "other", 404, ""},
		{"/api/v1/events.csv?code=iso1", "other", 404, ""},
		{"/api/v1/links/iso1/stats?from=2026-13-01", "viewer", 422, "from"},
		{"/api/v1/links/iso1/stats?granularity=week", "viewer", 422, "granularity"},
		{"/api/v1/links/iso1/stats?tz=Mars/Olympus", "viewer", 422, "tz"},
		{"/api/v1/links/iso1/stats?from=2025-01-01&to=2026-11-01", "viewer", 422, "from"},
		{"/api/v1/campaigns/a%7Bb/stats", "viewer", 422, "campaign"},
		{"/api/v1/links/iso1/stats", "", 401, ""},
	} {
		key := map[string]string{"other": e.otherTenant, "viewer": e.viewer}[tc.key]
		rec := e.do("GET", tc.path, key, "", "")
		if rec.Code != tc.status || errorOf(t, rec).Field != tc.field {
			t.Errorf("GET %s = %d %s, want %d field %q", tc.path, rec.Code, rec.Body, tc.status, tc.field)
		}
	}
	// A deleted link's stats stay readable by its owner.
	e.do("DELETE", "/api/v1/links/iso1", e.admin, "", "")
	if rec := e.do("GET", "/api/v1/links/iso1/stats", e.viewer, "", ""); rec.Code != http.StatusOK {
		t.Errorf("stats of a deleted link = %d, want 200 during the tombstone", rec.Code)
	}
}

func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		name     string
		trusted  []string
		visitors float64
	}{
		{"no trusted proxies: the peer is the client", nil, 1},
		{"peer not trusted: header ignored", []string{"10.0.0.0/8"}, 1},
		{"peer trusted: header believed", []string{"192.0.2.0/24"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				for _, p := range tc.trusted {
					c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix(p))
				}
			})
			e.json("POST", "/api/v1/links", e.admin, `{"code":"xff1","targets":{"web":{"url":"https://e.com/"}}}`)
			for _, client := range []string{"203.0.113.7", "203.0.113.8"} {
				req := httptestRequest("GET", "/s/xff1", uaSafariIOS, "192.0.2.10:4000")
				req.Header.Set("X-Forwarded-For", client)
				e.srv.Handler().ServeHTTP(discard(), req)
			}
			e.drainStats()
			rep := decode[map[string]any](t, e.do("GET", "/api/v1/links/xff1/stats", e.viewer, "", ""))
			if got := rep["totals"].(map[string]any)["unique_visitors"]; got != tc.visitors {
				t.Fatalf("unique visitors = %v, want %v", got, tc.visitors)
			}
		})
	}
}
