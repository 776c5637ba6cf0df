package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/wechat"
)

const (
	testDyApp    = "tt1234567890abcdef"
	testDySecret = "douyin-secret-0123456789"
)

// fakeDouyin is Douyin's client_token and url_link/generate as documented:
// the token in the access-token header (28001003 otherwise), an expiry at
// most 180 days ahead, the query a JSON object as a string; each URL Link
// made is https://z.douyin.com/D<n>, and made[n] says for which path and
// query. tokens counts the token fetches.
type fakeDouyin struct {
	mu     sync.Mutex
	made   []string
	tokens atomic.Int64
	hold   chan struct{} // when set, URL Links wait until it is closed
}

func (f *fakeDouyin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/oauth/client_token/":
		f.tokens.Add(1)
		var req map[string]string
		json.NewDecoder(r.Body).Decode(&req)
		if req["client_key"] != testDyApp || req["client_secret"] != testDySecret || req["grant_type"] != "client_credential" {
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"error_code": 10013, "description": "client_secret error"}, "message": "error"})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"access_token": "DY-TOKEN", "expires_in": 7200, "error_code": 0}, "message": "success"})
	case "/api/apps/v1/url_link/generate/":
		if f.hold != nil {
			<-f.hold
		}
		if r.Header.Get("access-token") != "DY-TOKEN" {
			json.NewEncoder(w).Encode(map[string]any{"err_no": 28001003, "err_msg": "access token is invalid"})
			return
		}
		var req struct {
			AppID      string `json:"app_id"`
			AppName    string `json:"app_name"`
			Path       string `json:"path"`
			Query      string `json:"query"`
			ExpireTime int64  `json:"expire_time"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		var q map[string]string
		if json.Unmarshal([]byte(req.Query), &q) != nil || req.AppName != "douyin" ||
			time.Until(time.Unix(req.ExpireTime, 0)) > 180*24*time.Hour {
			json.NewEncoder(w).Encode(map[string]any{"err_no": 28001005, "err_msg": "invalid params"})
			return
		}
		f.mu.Lock()
		f.made = append(f.made, req.Path+"?scene="+q["scene"])
		n := len(f.made) - 1
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"err_no": 0, "data": map[string]any{"url_link": fmt.Sprintf("https://z.douyin.com/D%d", n)}})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeDouyin) count(what string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.made {
		if m == what {
			n++
		}
	}
	return n
}

const iphoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"

const douyinUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 aweme_29.5.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/zh Region/CN AppName/aweme app_version/29.5.0"

// scanAs scans a code with a User-Agent and returns the status, the
// Location, the body and how long the answer took.
func scanAs(t *testing.T, base, code, ua string) (int, string, string, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/s/"+code, nil)
	req.Header.Set("User-Agent", ua)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	start := time.Now()
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Error(err)
		return 0, "", "", 0
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location"), string(body), time.Since(start)
}

// TestLaunchLinksAcrossInstances is issue 11's load case: two gateway
// instances sharing a Redis, the tenant's WeChat and Douyin apps
// registered, 20 new links, 200 concurrent WeChat scans spread over both.
// WeChat and Douyin hold every launch link until the 200 scans are
// answered: the scans cannot have waited on them (each is answered with
// the page at once; how long that takes on a loaded machine is logged,
// not asserted). Afterwards WeChat and Douyin scans 302 to their URL
// Links and a phone browser gets the encrypted scheme; each app's token
// was fetched once, and each link got exactly one URL Link, one scheme
// and one Douyin URL Link.
func TestLaunchLinksAcrossInstances(t *testing.T) {
	redisSrv.Client(t) // flush
	since := fakeURLLinks.mark()
	// The quota counts links per China day: a run across midnight there
	// (16:00 UTC) splits them over two days, which the check below allows.
	chinaDay := func() string { return time.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly) }
	dayBefore := chinaDay()
	var wxTokens atomic.Int64
	wx := fakeWeChat(t, &wxTokens)
	dy := &fakeDouyin{}
	dySrv := httptest.NewServer(dy)
	t.Cleanup(dySrv.Close)
	env := []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr(), "SCANGATE_SECRETS_KEY=" + apps.NewKey(),
		"SCANGATE_PLATFORMS_WECHAT_API_BASE=" + wx.URL, "SCANGATE_PLATFORMS_DOUYIN_API_BASE=" + dySrv.URL,
		"SCANGATE_RATE_LIMIT_SCAN=0"}
	a, key := startGateway(t, env)
	if status, body := callBody(t, a, key, "PUT", "/api/v1/apps/wechat/"+testWxApp, `{"secret":"`+testWxSecret+`"}`); status != http.StatusCreated {
		t.Fatalf("PUT wechat app = %d %s", status, body)
	}
	if status, body := callBody(t, a, key, "PUT", "/api/v1/apps/douyin/"+testDyApp, `{"secret":"`+testDySecret+`"}`); status != http.StatusCreated || !strings.Contains(body, `"state":"ok"`) {
		t.Fatalf("PUT douyin app = %d %s", status, body)
	}
	b, _ := startInstance(t, env, false)
	// Connections the client dialed for the burst but never used would
	// hold each gateway's shutdown for 5 s (net/http's rule for new
	// connections): closed first (cleanups run last to first).
	t.Cleanup(http.DefaultTransport.(*http.Transport).CloseIdleConnections)
	bases := []string{a, b}
	const n = 20
	hold := make(chan struct{})
	fakeURLLinks.hold.Store(&hold)
	dy.hold = hold
	released := false
	release := func() {
		if !released {
			released = true
			fakeURLLinks.hold.Store(nil)
			close(hold)
		}
	}
	t.Cleanup(release)
	for i := range n {
		if status, body := callBody(t, bases[i%2], key, "POST", "/api/v1/links", fmt.Sprintf(`{"code":"LL%02d","targets":{
			"wechat":{"appid":"%s","path":"pages/menu/index"},"douyin":{"appid":"%s","path":"pages/menu/index"},
			"web":{"url":"https://m.example.com/menu"}}}`, i, testWxApp, testDyApp)); status != http.StatusCreated {
			t.Fatalf("create = %d %s", status, body)
		}
	}
	var wg sync.WaitGroup
	var slowest atomic.Int64
	for i := range 200 {
		wg.Go(func() {
			status, loc, _, took := scanAs(t, bases[i%2], fmt.Sprintf("LL%02d", i%n), wechatUA)
			if status != http.StatusOK {
				t.Errorf("scan %d = %d %q, want the page while WeChat holds the URL Links", i, status, loc)
			}
			for {
				old := slowest.Load()
				if int64(took) <= old || slowest.CompareAndSwap(old, int64(took)) {
					break
				}
			}
		})
	}
	wg.Wait()
	release()
	t.Logf("the slowest of 200 concurrent scans took %s", time.Duration(slowest.Load()))
	for i := range n {
		code := fmt.Sprintf("LL%02d", i)
		want := "pages/menu/index?scene=" + code
		waitFor(t, code+"'s launch links", func() bool {
			_, wloc, _, _ := scanAs(t, bases[(i+1)%2], code, wechatUA)
			_, dloc, _, _ := scanAs(t, bases[i%2], code, douyinUA)
			_, _, page, _ := scanAs(t, bases[i%2], code, iphoneUA)
			return fakeURLLinks.madeFor(wloc) == want && strings.HasPrefix(dloc, "https://z.douyin.com/D") &&
				strings.Contains(page, "weixin://dl/business/?t=L")
		})
		if u, s, d := fakeURLLinks.count(since, "url_link", want), fakeURLLinks.count(since, "scheme", want), dy.count(want); u != 1 || s != 1 || d != 1 {
			t.Errorf("%s: %d WeChat URL Links, %d schemes, %d Douyin URL Links made; want one each", code, u, s, d)
		}
	}
	if w, d := wxTokens.Load(), dy.tokens.Load(); w != 1 || d != 1 {
		t.Errorf("token fetches: WeChat %d, Douyin %d; want one each (the PUT's check), shared by both instances", w, d)
	}
	status, body := callBody(t, b, key, "GET", "/api/v1/apps", "")
	var list struct {
		Apps []struct {
			Platform string `json:"platform"`
			Quota    struct {
				Made  int64 `json:"made"`
				Limit int64 `json:"limit"`
			} `json:"quota"`
		} `json:"apps"`
	}
	if json.Unmarshal([]byte(body), &list); status != http.StatusOK || len(list.Apps) != 2 {
		t.Fatalf("GET apps = %d %s", status, body)
	}
	for _, app := range list.Apps {
		want := map[string]int64{"wechat": 2 * n, "douyin": n}[app.Platform]
		if dayAfter := chinaDay(); dayAfter != dayBefore {
			// Midnight in China passed during the run: some links count on
			// the day before, which GET /apps no longer shows.
			if app.Quota.Made > want {
				t.Errorf("%s quota use %d across China midnight, want at most %d", app.Platform, app.Quota.Made, want)
			}
			continue
		}
		if app.Quota.Made != want {
			t.Errorf("%s quota use %d, want %d", app.Platform, app.Quota.Made, want)
		}
	}
	metrics := ""
	for _, base := range bases {
		_, m := callBody(t, base, testMetricsToken, "GET", "/metrics", "")
		metrics += m
	}
	if !strings.Contains(metrics, `scangate_platform_calls_total{api="url_link",app="`+testWxApp+`",outcome="ok",platform="wechat"}`) {
		t.Errorf("/metrics counts no WeChat URL Link calls")
	}
}

// TestPlatformRefusalOnTheLink: a mini program WeChat refuses links for
// (85079: no published version) shows on the link as platform_status with
// WeChat's code, and its WeChat scans get the page.
func TestPlatformRefusalOnTheLink(t *testing.T) {
	base, key, _ := wechatGateway(t)
	fakeURLLinks.unpublished.Store(true)
	t.Cleanup(func() { fakeURLLinks.unpublished.Store(false) })
	registerWeChatApp(t, base, key)
	if status, body := callBody(t, base, key, "POST", "/api/v1/links", `{"code":"NOPUB","targets":{"wechat":{"appid":"`+testWxApp+`"}}}`); status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	var link struct {
		PlatformStatus map[string]struct {
			State   string `json:"state"`
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"platform_status"`
	}
	waitFor(t, "platform_status on the link", func() bool {
		_, body := callBody(t, base, key, "GET", "/api/v1/links/NOPUB", "")
		json.Unmarshal([]byte(body), &link)
		return link.PlatformStatus["wechat"].State != ""
	})
	if st := link.PlatformStatus["wechat"]; st.State != "error" || st.Code != 85079 || st.Message == "" {
		t.Errorf("platform_status.wechat = %+v, want error 85079 with WeChat's message", st)
	}
	if status, loc := wechatScan(t, base, "NOPUB"); status != http.StatusOK {
		t.Errorf("WeChat scan = %d %q, want the page", status, loc)
	}
	if _, body := callBody(t, base, key, "GET", "/api/v1/apps/wechat/"+testWxApp, ""); !strings.Contains(body, `"launch_links_held":{"until":`) ||
		!strings.Contains(body, `"code":85079`) || !strings.Contains(body, `"reason":"refused"`) {
		t.Errorf("GET app = %s; want its launch links held for 85079", body)
	}
}

// TestWeChatPageShowsTheSunCode: when a WeChat scan gets the page (no URL
// Link could be made) but the tenant's app works for the link, the code
// to long-press is the app's sun code for scene=<code>, served by the
// gateway under the page's CSP.
func TestWeChatPageShowsTheSunCode(t *testing.T) {
	base, key, _ := wechatGateway(t)
	fakeURLLinks.noURLLinks.Store(true)
	t.Cleanup(func() { fakeURLLinks.noURLLinks.Store(false) })
	registerWeChatApp(t, base, key)
	if status, body := callBody(t, base, key, "POST", "/api/v1/links", `{"code":"SUN1","targets":{"wechat":{"appid":"`+testWxApp+`","path":"pages/menu/index"}}}`); status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	src := func(code string) string {
		_, _, body, _ := scanAs(t, base, code, wechatUA)
		_, rest, ok := strings.Cut(body, `<img class="qr" alt="`)
		if !ok {
			return ""
		}
		_, rest, _ = strings.Cut(rest, `src="`)
		v, _, _ := strings.Cut(rest, `"`)
		return v
	}
	var img1 string
	waitFor(t, "the sun code on the WeChat page", func() bool {
		img1 = src("SUN1")
		return strings.HasPrefix(img1, "/s/SUN1/wxacode?f=")
	})
	resp, img := send(t, base, "", "GET", img1, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" ||
		!strings.Contains(string(img), "scene=SUN1 page=pages/menu/index") {
		t.Errorf("GET %s = %d %s %q, want the fake's sun code", img1, resp.StatusCode, resp.Header.Get("Content-Type"), img)
	}
	// An edit of the page: a new image address once the new target has its
	// launch links, never the old one's sun code.
	if status, body := callBody(t, base, key, "PATCH", "/api/v1/links/SUN1", `{"targets":{"wechat":{"path":"pages/dinner/index"}}}`); status != http.StatusOK {
		t.Fatalf("patch = %d %s", status, body)
	}
	waitFor(t, "the new page's sun code", func() bool {
		img2 := src("SUN1")
		if img2 == img1 {
			t.Fatalf("after the edit the page still shows %s", img1)
		}
		return strings.HasPrefix(img2, "/s/SUN1/wxacode?f=")
	})
	if resp, img := send(t, base, "", "GET", src("SUN1"), ""); !strings.Contains(string(img), "page=pages/dinner/index") {
		t.Errorf("after the edit the sun code is %d %q, want the new page's", resp.StatusCode, img)
	}
	if status, _, body, _ := scanAs(t, base, "SUN1", wechatUA); status != http.StatusOK || !strings.Contains(body, "wxacode") {
		t.Errorf("second scan = %d, want the page again", status)
	}
	// Another link of a tenant without launch links: the QR of its short URL.
	if status, body := callBody(t, base, key, "POST", "/api/v1/links", `{"code":"SUN2","targets":{"wechat":{"appid":"wx0000000000000001"}}}`); status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	if _, _, body, _ := scanAs(t, base, "SUN2", wechatUA); !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Errorf("an unregistered app's page shows no inline QR: %.300s", body)
	}
	resp, img = send(t, base, "", "GET", "/s/SUN2/wxacode", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || len(img) < 100 {
		t.Errorf("GET /s/SUN2/wxacode = %d %s, want the short URL's QR", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestSunCodeExport: the batch export makes a zip of sun codes (format
// wxacode, <code>.jpg each, scene = the code) and a PDF sheet of them
// (sun_codes); QR options, links without a WeChat target and apps not
// registered are refused by name before the first byte.
func TestSunCodeExport(t *testing.T) {
	base, key, _ := wechatGateway(t)
	for _, l := range []string{
		`{"code":"E01","campaign":"sun","targets":{"wechat":{"appid":"` + testWxApp + `","path":"pages/menu/index"}}}`,
		`{"code":"E02","campaign":"sun","targets":{"wechat":{"appid":"` + testWxApp + `","path":"pages/menu/index"}}}`,
		`{"code":"W01","targets":{"web":{"url":"https://example.com/"}}}`,
	} {
		if status, body := callBody(t, base, key, "POST", "/api/v1/links", l); status != http.StatusCreated {
			t.Fatalf("create = %d %s", status, body)
		}
	}
	if status, body := callBody(t, base, key, "POST", "/api/v1/qr/export", `{"campaign":"sun","format":"wxacode"}`); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "PUT /api/v1/apps/wechat/"+testWxApp) {
		t.Errorf("export before the app is registered = %d %s; want 422 saying to register it", status, body)
	}
	registerWeChatApp(t, base, key)
	resp, data := send(t, base, key, "POST", "/api/v1/qr/export", `{"campaign":"sun","format":"WXACODE"}`) // formats are case-insensitive
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("zip export = %d %s", resp.StatusCode, data)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		code := strings.TrimSuffix(f.Name, ".jpg")
		if !strings.HasSuffix(string(b), "scene="+code+" page=pages/menu/index") {
			t.Errorf("%s is not the sun code of %s", f.Name, code)
		}
	}
	if strings.Join(names, ",") != "E01.jpg,E02.jpg" {
		t.Errorf("zip holds %v, want E01.jpg and E02.jpg", names)
	}
	resp, data = send(t, base, key, "POST", "/api/v1/qr/export", `{"codes":["E01","E02"],"format":"PDF","sun_codes":true,"cols":2,"rows":2}`)
	if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(data, []byte("%PDF")) || !bytes.Contains(data, []byte("/Subtype /Image")) {
		t.Errorf("pdf export = %d %.200q; want a PDF with images", resp.StatusCode, data)
	}
	// A sun code WeChat refuses before the first byte is sent: the error
	// is JSON, not labelled as the file.
	if status, body := callBody(t, base, key, "POST", "/api/v1/links", `{"code":"E03","targets":{"wechat":{"appid":"`+testWxApp+`","path":"pages/nope/index"}}}`); status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	for _, format := range []string{`"format":"wxacode"`, `"format":"pdf","sun_codes":true`} {
		resp, data = send(t, base, key, "POST", "/api/v1/qr/export", `{"codes":["E03"],`+format+`}`)
		if resp.StatusCode < 400 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
			resp.Header.Get("Content-Disposition") != "" || !bytes.Contains(data, []byte(`"error"`)) {
			t.Errorf("export {%s} of a refused page = %d %q %q %s; want a JSON error", format, resp.StatusCode,
				resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), data)
		}
	}
	for _, tc := range []struct{ body, field string }{
		{`{"codes":["E01"],"format":"wxacode","size":300}`, "size"},
		{`{"codes":["E01"],"format":"png","sun_codes":true}`, "sun_codes"},
		{`{"codes":["E01","W01"],"format":"wxacode"}`, "format"},
	} {
		if status, body := callBody(t, base, key, "POST", "/api/v1/qr/export", tc.body); status != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `"field":"`+tc.field+`"`) {
			t.Errorf("export %s = %d %s; want 422 on %s", tc.body, status, body, tc.field)
		}
	}
}

// TestOpenTag: with a service account on the gateway's host registered
// with the app, the WeChat page carries WeChat's open tag for the link's
// page and scene, signed for the page's address with the service
// account's JS-SDK ticket, and a CSP that lets WeChat's JS-SDK in on that
// page only. A wrong service secret shows on the app, apart from its own
// state.
func TestOpenTag(t *testing.T) {
	base, key, _ := wechatGateway(t, "SCANGATE_PUBLIC_BASE_URL=https://go.example.com")
	fakeURLLinks.noURLLinks.Store(true) // WeChat scans get the page
	t.Cleanup(func() { fakeURLLinks.noURLLinks.Store(false) })
	status, body := callBody(t, base, key, "PUT", "/api/v1/apps/wechat/"+testWxApp, `{"secret":"`+testWxSecret+`",
		"service_appid":"`+testSvcApp+`","service_secret":"wrong-secret-0000","service_domain":"go.example.com"}`)
	if status != http.StatusCreated || !strings.Contains(body, `"state":"ok"`) || !strings.Contains(body, `"service":{"state":"error","error_code":40125`) {
		t.Fatalf("PUT with a wrong service secret = %d %s; want the app ok and its service account in error 40125", status, body)
	}
	status, body = callBody(t, base, key, "PUT", "/api/v1/apps/wechat/"+testWxApp, `{"secret":"`+testWxSecret+`",
		"service_appid":"`+testSvcApp+`","service_secret":"`+testSvcSecret+`","service_domain":"go.example.com"}`)
	if status != http.StatusOK || !strings.Contains(body, `"service":{"state":"ok"`) {
		t.Fatalf("PUT = %d %s; want the service account ok", status, body)
	}
	if status, body := callBody(t, base, key, "POST", "/api/v1/links", `{"code":"OT1","targets":{"wechat":{"appid":"`+testWxApp+`","path":"pages/menu/index","query":"t=9"}}}`); status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	var page string
	var csp string
	waitFor(t, "the open tag on the WeChat page", func() bool {
		req, _ := http.NewRequest("GET", base+"/s/OT1", nil)
		req.Header.Set("User-Agent", wechatUA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page, csp = string(b), resp.Header.Get("Content-Security-Policy")
		return strings.Contains(page, "<wx-open-launch-weapp")
	})
	want := `appid="` + testWxApp + `" path="pages/menu/index.html?t=9&amp;scene=OT1"`
	if !strings.Contains(page, want) {
		t.Errorf("open tag without %s: %.600s", want, page)
	}
	attr := func(name string) string {
		_, rest, _ := strings.Cut(page, name+`="`)
		v, _, _ := strings.Cut(rest, `"`)
		return v
	}
	ts, _ := strconv.ParseInt(attr("data-timestamp"), 10, 64)
	if sig := wechat.Signature("TICKET-1", attr("data-nonce"), ts, "https://go.example.com/s/OT1"); attr("data-signature") != sig || attr("data-appid") != testSvcApp {
		t.Errorf("signed %q for %s, want %q for the page's address with the service account's ticket", attr("data-signature"), attr("data-appid"), sig)
	}
	if !strings.Contains(csp, "https://res.wx.qq.com") || !strings.Contains(page, `src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"`) {
		t.Errorf("page CSP %q: WeChat's JS-SDK not allowed", csp)
	}
	if _, _, other, _ := scanAs(t, base, "OT1", iphoneUA); strings.Contains(other, "res.wx.qq.com") {
		t.Errorf("a browser's page loads WeChat's JS-SDK")
	}
	resp, _ := send(t, base, "", "GET", "/s/OT1", "")
	if strings.Contains(resp.Header.Get("Content-Security-Policy"), "res.wx.qq.com") {
		t.Errorf("a page without the open tag lets WeChat's script in")
	}
	if status, body := callBody(t, base, key, "GET", "/api/v1/apps", ""); strings.Contains(body, "SVC-TOKEN") || strings.Contains(body, "TICKET-1") ||
		strings.Contains(body, testSvcSecret) || status != http.StatusOK {
		t.Errorf("GET apps = %d %s: shows a token, ticket or secret", status, body)
	}
}

// TestStaleTokenMidRun: WeChat invalidates the shared token mid-run (it
// expired early, or another system forced a new one): the next URL Link
// call gets 40001, the gateway forces one new token (within WeChat's
// allowance) and the link gets its URL Link all the same.
func TestStaleTokenMidRun(t *testing.T) {
	base, key, calls := wechatGateway(t)
	registerWeChatApp(t, base, key)
	fetched := calls.Load()
	wxToken.Add(1) // the token the gateway holds is refused from now on
	if status, body := callBody(t, base, key, "POST", "/api/v1/links", `{"code":"STALE1","targets":{"wechat":{"appid":"`+testWxApp+`","path":"pages/menu/index"}}}`); status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	waitFor(t, "a URL Link made with a new token", func() bool {
		_, loc := wechatScan(t, base, "STALE1")
		return fakeURLLinks.madeFor(loc) == "pages/menu/index?scene=STALE1"
	})
	if n := calls.Load() - fetched; n != 1 {
		t.Errorf("%d token fetches after the token went stale, want 1 (forced)", n)
	}
}
