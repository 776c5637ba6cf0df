package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/geo"
	"github.com/scangate/scangate/internal/geo/geotest"
	"github.com/scangate/scangate/internal/stats"
)

// routedEnv is a gateway behind a trusted proxy (10.0.0.1), with the test
// GeoIP database and a clock set to Tuesday 2026-12-01, 12:00 in Shanghai.
func routedEnv(t *testing.T) (*testEnv, *time.Time) {
	t.Helper()
	e := newEnv(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")} })
	db, err := geo.Open(geotest.Path(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.srv.deps.Geo = db
	now := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC)
	e.srv.now = func() time.Time { return now }
	// As the gateway does at start-up for today: the visitor ids of the
	// day are known from the first scan.
	if err := e.recorder.LoadSalt(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	return e, &now
}

// scanFrom scans path from a client at addr, through the trusted proxy.
func (e *testEnv) scanFrom(method, path, ua string, addr netip.Addr, headers ...string) *http.Response {
	e.t.Helper()
	req := httptestRequest(method, path, ua, "10.0.0.1:4711")
	req.Header.Set("X-Forwarded-For", addr.String())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec.Result()
}

// The link of the "Done when": a breakfast menu before 10:30, the
// Shanghai stores' page in Shanghai, and a 50/50 split of everyone else.
const menuLink = `{"code":"menu1","campaign":"spring","targets":{
	"alipay":{"appid":"2021001234567890","page":"pages/menu/index"},
	"web":{"url":"https://m.example.com/menu"}},
  "rules":[
	{"name":"breakfast","when":{"time":{"tz":"Asia/Shanghai","from":"06:00","to":"10:30"}},
	 "targets":{"alipay":{"appid":"2021001234567890","page":"pages/breakfast/index"},"web":{"url":"https://m.example.com/breakfast"}}},
	{"name":"shanghai","when":{"city":["上海"]},
	 "targets":{"alipay":{"appid":"2021001234567890","page":"pages/shanghai/index"},"web":{"url":"https://m.example.com/shanghai"}}}],
  "split":{"variants":[
	{"name":"A","weight":50},
	{"name":"B","weight":50,"targets":{"alipay":{"appid":"2021001234567890","page":"pages/coupon-b/index"},"web":{"url":"https://m.example.com/b"}}}]}}`

func TestScanRulesByPlaceAndTime(t *testing.T) {
	e, now := routedEnv(t)
	if rec := e.json("POST", "/api/v1/links", e.admin, menuLink); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	at := func(hhmm string) time.Time {
		tm, _ := time.Parse("2006-01-02 15:04 -0700", "2026-12-01 "+hhmm+" +0800")
		return tm
	}
	for _, tc := range []struct {
		name     string
		time     time.Time
		addr     netip.Addr
		ua       string
		location string // prefix
	}{
		{"breakfast in Guangzhou", at("08:00"), geotest.Guangzhou.Addr, uaChromeWindows, ""},
		{"breakfast in Alipay", at("08:00"), geotest.Guangzhou.Addr, uaAlipayAndroid, "alipays://platformapi/startapp?appId=2021001234567890&page=pages/breakfast/index&query=scene%3Dmenu1"},
		{"breakfast wins in Shanghai too", at("09:59"), geotest.Shanghai.Addr, uaAlipayAndroid, "alipays://platformapi/startapp?appId=2021001234567890&page=pages/breakfast/index&"},
		{"lunch in Shanghai", at("12:00"), geotest.Shanghai.Addr, uaAlipayAndroid, "alipays://platformapi/startapp?appId=2021001234567890&page=pages/shanghai/index&query=scene%3Dmenu1"},
		{"lunch in Guangzhou is split", at("12:00"), geotest.Guangzhou.Addr, uaAlipayAndroid, "alipays://platformapi/startapp?appId=2021001234567890&page=pages/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			*now = tc.time
			resp := e.scanFrom("GET", "/s/menu1", tc.ua, tc.addr)
			loc := resp.Header.Get("Location")
			if tc.location == "" {
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("desktop scan = %d, want the desktop page", resp.StatusCode)
				}
				if body := readAll(t, resp); !strings.Contains(body, "https://m.example.com/breakfast") {
					t.Errorf("desktop page at breakfast does not offer the breakfast web page")
				}
				return
			}
			if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, tc.location) {
				t.Fatalf("scan = %d %q, want 302 to %s...", resp.StatusCode, loc, tc.location)
			}
		})
	}
}

func TestScanSplitAttributesVariants(t *testing.T) {
	e, _ := routedEnv(t)
	if rec := e.json("POST", "/api/v1/links", e.admin, menuLink); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	const visitors = 2000
	sent := map[string]int64{}
	for i := range visitors {
		// 2,000 distinct visitors in Guangzhou at lunch: the split decides.
		ua := fmt.Sprintf("%s visitor/%d", uaAlipayAndroid, i)
		first := e.scanFrom("GET", "/s/menu1", ua, geotest.Guangzhou.Addr).Header.Get("Location")
		variant := variantOf(t, first)
		if again := e.scanFrom("GET", "/s/menu1", ua, geotest.Guangzhou.Addr).Header.Get("Location"); again != first {
			t.Fatalf("visitor %d got %q, then %q", i, first, again)
		}
		sent[variant] += 2
	}
	for _, v := range []string{"A", "B"} {
		if share := float64(sent[v]) / (2 * visitors); share < 0.45 || share > 0.55 {
			t.Errorf("variant %s got %.1f %% of visitors, want 50 %% ± 5", v, share*100)
		}
	}
	// The mini program reports an open and a conversion for variant B.
	for _, body := range []string{
		`{"code":"menu1","type":"open","variant":"B"}`,
		`{"code":"menu1","type":"conversion","variant":"B","value":1999}`,
	} {
		if rec := e.json("POST", "/api/v1/events", e.admin, body); rec.Code != http.StatusAccepted {
			t.Fatalf("event %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	if rec := e.json("POST", "/api/v1/events", "", `{"code":"menu1","type":"open","variant":"no such!"}`); rec.Code != http.StatusUnprocessableEntity || errorOf(t, rec).Field != "variant" {
		t.Errorf("open with an unknown variant: %d %s, want 422 on variant", rec.Code, rec.Body)
	}
	e.drainStats()
	for _, path := range []string{"/api/v1/links/menu1/stats?from=2026-12-01&to=2026-12-01", "/api/v1/campaigns/spring/stats?from=2026-12-01&to=2026-12-01"} {
		rep := decode[stats.Report](t, e.do("GET", path, e.admin, "", ""))
		for _, v := range []string{"A", "B"} {
			got := rep.ByVariant[v]
			if got.Scans != sent[v] {
				t.Errorf("%s: by_variant[%s].scans = %d, want %d sent", path, v, got.Scans, sent[v])
			}
			if n := sent[v] / 2; got.UniqueVisitors < n*97/100 || got.UniqueVisitors > n*103/100 {
				t.Errorf("%s: by_variant[%s].unique_visitors = %d, want about %d", path, v, got.UniqueVisitors, n)
			}
		}
		if b := rep.ByVariant["B"]; b.Opens != 1 || b.Conversions != 1 || b.ConversionValue != 1999 {
			t.Errorf("%s: variant B opens/conversions/value = %d/%d/%d, want 1/1/1999", path, b.Opens, b.Conversions, b.ConversionValue)
		}
		if a := rep.ByVariant["A"]; a.Opens != 0 {
			t.Errorf("%s: variant A has %d opens, want 0", path, a.Opens)
		}
		if rep.ByRegion["Guangdong"] != 2*visitors || rep.ByCity["Guangzhou"] != 2*visitors {
			t.Errorf("%s: by_region %v by_city %v, want every scan in Guangdong/Guangzhou", path, rep.ByRegion, rep.ByCity)
		}
	}
}

// variantOf reads sg_v out of an Alipay launch URL.
func variantOf(t *testing.T, location string) string {
	t.Helper()
	for _, v := range []string{"A", "B"} {
		if strings.Contains(location, "sg_v%253D"+v) || strings.Contains(location, "sg_v%3D"+v) {
			return v
		}
	}
	t.Fatalf("no variant in %q", location)
	return ""
}

func TestScanRuleStats(t *testing.T) {
	e, now := routedEnv(t)
	if rec := e.json("POST", "/api/v1/links", e.admin, menuLink); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	*now = time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC) // 08:30 in Shanghai
	for range 3 {
		e.scanFrom("GET", "/s/menu1", uaAlipayAndroid, geotest.Beijing.Addr)
	}
	*now = time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC) // 13:00
	for range 2 {
		e.scanFrom("GET", "/s/menu1", uaAlipayAndroid, geotest.Shanghai.Addr)
	}
	e.drainStats()
	rep := decode[stats.Report](t, e.do("GET", "/api/v1/links/menu1/stats?from=2026-12-01&to=2026-12-01", e.admin, "", ""))
	if rep.ByRule["breakfast"] != 3 || rep.ByRule["shanghai"] != 2 || len(rep.ByVariant) != 0 {
		t.Errorf("by_rule = %v, by_variant = %v; want breakfast 3, shanghai 2 and no variant", rep.ByRule, rep.ByVariant)
	}
	if rep.ByRegion["Beijing"] != 3 || rep.ByRegion["Shanghai"] != 2 {
		t.Errorf("by_region = %v", rep.ByRegion)
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// What a trial on real phones found, each as the phone saw it.
func TestScanPagesOfferWhatWorksThere(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"code":"all1",` + multiTargets + `}`,
		`{"code":"wxonly1","targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/menu/index"},"web":{"url":"https://m.example.com/menu"}}}`,
		`{"code":"used1","max_scans":1,"targets":{"alipay":{"appid":"2021001234567890"}}}`,
	} {
		if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	const (
		uaWeChatNoHeader = "Mozilla/5.0 (Linux; Android 13; V2183A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20240301 MMWEBID/6500 MicroMessenger/8.0.48.2580(0x28003035) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
		uaIPadApp        = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
		uaIPadSafari     = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
	)
	for _, tc := range []struct {
		name, method, path, ua string
		headers                []string
		status                 int
		has, lacks             []string
	}{
		{"inside WeChat only the code and the web page", "GET", "/s/all1", uaWeChatIOS, nil, 200,
			[]string{`src="data:image/png;base64,`, `href="https://m.example.com/menu"`},
			[]string{"weixin://", "alipays", "ds.alipay.com", "sslocal://", "baiduboxapp://", "m.q.qq.com", "kwai://"}},
		{"douyin without a douyin target shows the choice, no jump", "GET", "/s/wxonly1", uaDouyin, []string{"Accept-Language", "zh-CN"}, 200,
			[]string{`href="weixin://dl/business/`, `class="hint"`}, []string{"<script>", `id="best"`}},
		{"baidu without a baidu target does not jump either", "GET", "/s/wxonly1", uaBaiduIOS, nil, 200,
			[]string{`href="weixin://dl/business/`}, []string{"<script>"}},
		{"a phone browser still jumps", "GET", "/s/wxonly1", uaSafariIOS, nil, 200,
			[]string{`id="best" href="weixin://dl/business/`, "<script>"}, nil},
		{"WeChat's own Language/zh_CN without Accept-Language is Chinese", "GET", "/s/all1", uaWeChatNoHeader, nil, 200,
			[]string{`lang="zh-CN"`, "长按下方二维码"}, nil},
		{"Accept-Language wins over the host app's language", "GET", "/s/all1", uaWeChatNoHeader, []string{"Accept-Language", "en-US,en;q=0.9"}, 200,
			[]string{`lang="en"`}, nil},
		{"an iPad app's web view is a phone", "GET", "/s/all1", uaIPadApp, nil, 200,
			[]string{`id="best"`}, nil},
		{"iPad Safari (a Mac UA) gets the code and every way in", "GET", "/s/all1", uaIPadSafari, nil, 200,
			[]string{"<svg", `href="weixin://dl/business/`, `href="https://ds.alipay.com/`}, nil},
		{"a trailing slash is the same code", "GET", "/s/all1/", uaSafariIOS, nil, 200,
			[]string{`id="best"`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do(tc.method, tc.path, "", "", "", append([]string{"User-Agent", tc.ua}, tc.headers...)...)
			body := rec.Body.String()
			if rec.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d:\n%s", tc.method, tc.path, rec.Code, tc.status, body)
			}
			for _, s := range tc.has {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(body, s) {
					t.Errorf("page has %q:\n%s", s, body)
				}
			}
		})
	}
	t.Run("HEAD of a used-up link answers as GET does", func(t *testing.T) {
		if rec := e.do("GET", "/s/used1", "", "", "", "User-Agent", uaAlipayAndroid); rec.Code != http.StatusFound {
			t.Fatalf("first scan = %d, want 302", rec.Code)
		}
		get := e.do("GET", "/s/used1", "", "", "", "User-Agent", uaAlipayAndroid)
		head := e.do("HEAD", "/s/used1", "", "", "", "User-Agent", uaAlipayAndroid)
		if get.Code != http.StatusGone || head.Code != get.Code || head.Header().Get("Location") != "" {
			t.Errorf("used up: GET %d, HEAD %d %q; want both 410", get.Code, head.Code, head.Header().Get("Location"))
		}
	})
}

func TestPerVisitorLimit(t *testing.T) {
	e, now := routedEnv(t)
	*now = time.Now() // the day whose visitor salt the recorder holds
	if err := e.recorder.LoadSalt(t.Context(), *now); err != nil {
		t.Fatal(err)
	}
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"coupon1","max_scans_per_visitor":{"count":2,"per":"day"},
		"fallback_url":"https://m.example.com/already-used","targets":{"alipay":{"appid":"2021001234567890"}}}`); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	scan := func(method, ua string, addr netip.Addr) string {
		return e.scanFrom(method, "/s/coupon1", ua, addr).Header.Get("Location")
	}
	for i := range 2 {
		if loc := scan("GET", uaAlipayAndroid, geotest.Beijing.Addr); !strings.HasPrefix(loc, "alipays://") {
			t.Fatalf("scan %d of 2 went to %q", i+1, loc)
		}
	}
	if loc := scan("HEAD", uaAlipayAndroid, geotest.Beijing.Addr); loc != "https://m.example.com/already-used" {
		t.Errorf("HEAD after the limit went to %q, want the fallback", loc)
	}
	if loc := scan("GET", uaAlipayAndroid, geotest.Beijing.Addr); loc != "https://m.example.com/already-used" {
		t.Errorf("scan 3 went to %q, want the fallback", loc)
	}
	if loc := scan("GET", uaAlipayAndroid, geotest.Shanghai.Addr); !strings.HasPrefix(loc, "alipays://") {
		t.Errorf("another visitor went to %q, want the mini program", loc)
	}
}

func TestSceneAPIReturnsTheVariant(t *testing.T) {
	e, _ := routedEnv(t)
	if rec := e.json("POST", "/api/v1/links", e.admin, menuLink); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	seen := map[string]bool{}
	for i := range 40 {
		req := httptestRequest("GET", "/api/v1/scene?q=https%3A%2F%2Fgw.example.com%2Fs%2Fmenu1&platform=alipay", fmt.Sprintf("miniprogram/%d", i), "10.0.0.1:1")
		req.Header.Set("X-Forwarded-For", geotest.Guangzhou.Addr.String())
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, req)
		resp := decode[sceneResponse](t, rec)
		seen[resp.Variant] = true
		want := "pages/menu/index"
		if resp.Variant == "B" {
			want = "pages/coupon-b/index"
		}
		if resp.Target == nil || resp.Target.Path != want || !strings.Contains(resp.Target.Query, "sg_v="+resp.Variant) {
			t.Fatalf("scene for variant %q: target %+v, want %s with sg_v", resp.Variant, resp.Target, want)
		}
	}
	if !seen["A"] || !seen["B"] || len(seen) != 2 {
		t.Errorf("variants seen over 40 mini program scans: %v", seen)
	}
}
