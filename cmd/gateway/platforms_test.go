package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/auth"
)

const (
	testWxApp    = "wx1234567890abcdef"
	testWxSecret = "0123456789abcdef0123456789abcdef"
	// A service account, for the open tag.
	testSvcApp    = "wxfedcba9876543210"
	testSvcSecret = "fedcba9876543210fedcba9876543210"
)

// wxToken is the generation of the fake's current access token: WeChat
// hands out one token per app at a time, and a forced refresh (or
// WeChat's own expiry, wxToken.Add) makes the old one invalid (40001).
var wxToken atomic.Int64

func wxTokenValue() string {
	if n := wxToken.Load(); n > 0 {
		return fmt.Sprintf("ACCESS-TOKEN-VALUE-%d", n)
	}
	return "ACCESS-TOKEN-VALUE"
}

// fakeTicket is getticket as documented: GET with the service account's
// token in the query (40001 otherwise) and type=jsapi; the ticket lives
// 7,200 s.
func fakeTicket(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Query().Get("type") != "jsapi":
		json.NewEncoder(w).Encode(map[string]any{"errcode": 40097, "errmsg": "invalid args"})
	case r.URL.Query().Get("access_token") != "SVC-TOKEN":
		json.NewEncoder(w).Encode(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
	default:
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "ticket": "TICKET-1", "expires_in": 7200})
	}
}

// fakeWeChat is WeChat's stable_token endpoint as documented (POST JSON;
// 40125 for a wrong secret, 40013 for an unknown app), counting the calls.
func fakeWeChat(t *testing.T, calls *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/wxa/getwxacodeunlimit" {
			fakeSunCode(w, r, calls)
			return
		}
		if r.Method == http.MethodPost && (r.URL.Path == "/wxa/generate_urllink" || r.URL.Path == "/wxa/generatescheme") {
			fakeURLLinks.serve(w, r)
			return
		}
		if r.Method == http.MethodGet && r.URL.Path == "/cgi-bin/ticket/getticket" {
			fakeTicket(w, r)
			return
		}
		if r.Method != http.MethodPost || r.URL.Path != "/cgi-bin/stable_token" {
			http.NotFound(w, r)
			return
		}
		calls.Add(1)
		var req struct {
			GrantType    string `json:"grant_type"`
			AppID        string `json:"appid"`
			Secret       string `json:"secret"`
			ForceRefresh bool   `json:"force_refresh"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		switch {
		case req.AppID == testWxApp && req.Secret == testWxSecret && req.ForceRefresh:
			wxToken.Add(1) // a new token; the old one is refused from now on
			json.NewEncoder(w).Encode(map[string]any{"access_token": wxTokenValue(), "expires_in": 7200})
		case req.GrantType != "client_credential":
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
		case req.AppID == testSvcApp && req.Secret == testSvcSecret:
			json.NewEncoder(w).Encode(map[string]any{"access_token": "SVC-TOKEN", "expires_in": 7200})
		case req.AppID == testSvcApp:
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		case req.AppID != testWxApp:
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40013, "errmsg": "invalid appid"})
		case req.Secret != testWxSecret:
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40125, "errmsg": "invalid appsecret"})
		default:
			json.NewEncoder(w).Encode(map[string]any{"access_token": wxTokenValue(), "expires_in": 7200})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fakeSunCode is getwxacodeunlimit as documented: the token in the query
// (40001 otherwise), a published page unless check_path is false (41030),
// an image answer; the fake's image ends with the scene and page.
func fakeSunCode(w http.ResponseWriter, r *http.Request, calls *atomic.Int64) {
	calls.Add(1)
	if r.URL.Query().Get("access_token") != wxTokenValue() {
		json.NewEncoder(w).Encode(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	var req struct {
		Scene     string `json:"scene"`
		Page      string `json:"page"`
		CheckPath bool   `json:"check_path"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	if req.CheckPath && req.Page != "pages/menu/index" && req.Page != "pages/dinner/index" {
		json.NewEncoder(w).Encode(map[string]any{"errcode": 41030, "errmsg": "invalid page"})
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(append(sunCodeJPEG(), " scene="+req.Scene+" page="+req.Page...))
}

// sunCodeJPEG is a real (small) JPEG, for the fake's sun codes: the fake
// appends what it was made for after the image's end, which decoders
// ignore.
func sunCodeJPEG() []byte {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, nil)
	return buf.Bytes()
}

// fakeURLLinks is generate_urllink and generatescheme as documented: the
// token in the query (40001 otherwise), an expiry at most 30 days ahead,
// 85079 while the app is unpublished; each URL Link made is
// https://wxaurl.cn/L<n>, each scheme weixin://dl/business/?t=L<n>, and
// made[n] says which and for which path and query.
var fakeURLLinks = &urlLinkFake{}

type urlLinkFake struct {
	mu          sync.Mutex
	made        []string // "url_link path?query" or "scheme path?query"
	unpublished atomic.Bool
	// noURLLinks: generate_urllink refuses (40097) while schemes work.
	noURLLinks atomic.Bool
	// hold, when set, holds every answer until it is closed: WeChat
	// taking its time.
	hold atomic.Pointer[chan struct{}]
}

func (f *urlLinkFake) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("access_token") != wxTokenValue() {
		json.NewEncoder(w).Encode(map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
		return
	}
	var req struct {
		Path       string `json:"path"`
		Query      string `json:"query"`
		ExpireType int    `json:"expire_type"`
		ExpireTime int64  `json:"expire_time"`
		Jump       *struct {
			Path  string `json:"path"`
			Query string `json:"query"`
		} `json:"jump_wxa"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	if h := f.hold.Load(); h != nil {
		<-*h
	}
	kind := "url_link"
	if r.URL.Path == "/wxa/generatescheme" {
		if req.Jump == nil {
			json.NewEncoder(w).Encode(map[string]any{"errcode": 40097, "errmsg": "invalid args"})
			return
		}
		kind, req.Path, req.Query = "scheme", req.Jump.Path, req.Jump.Query
	}
	if req.ExpireType != 0 || time.Until(time.Unix(req.ExpireTime, 0)) > 30*24*time.Hour {
		json.NewEncoder(w).Encode(map[string]any{"errcode": 40213, "errmsg": "invalid expire time"})
		return
	}
	if kind == "url_link" && f.noURLLinks.Load() {
		json.NewEncoder(w).Encode(map[string]any{"errcode": 40097, "errmsg": "invalid args"})
		return
	}
	if f.unpublished.Load() {
		json.NewEncoder(w).Encode(map[string]any{"errcode": 85079, "errmsg": "miniprogram has no online release"})
		return
	}
	f.mu.Lock()
	f.made = append(f.made, kind+" "+req.Path+"?"+req.Query)
	n := len(f.made) - 1
	f.mu.Unlock()
	if kind == "scheme" {
		json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "openlink": fmt.Sprintf("weixin://dl/business/?t=L%d", n)})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "url_link": fmt.Sprintf("https://wxaurl.cn/L%d", n)})
}

// madeFor says for which path and query a fake URL Link or scheme was
// made.
func (f *urlLinkFake) madeFor(link string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int
	_, err := fmt.Sscanf(link, "https://wxaurl.cn/L%d", &n)
	if err != nil {
		_, err = fmt.Sscanf(link, "weixin://dl/business/?t=L%d", &n)
	}
	if err != nil || n >= len(f.made) {
		return ""
	}
	_, what, _ := strings.Cut(f.made[n], " ")
	return what
}

// mark is where the links made from now on start.
func (f *urlLinkFake) mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.made)
}

// count says how many of kind were made for path?query since mark.
func (f *urlLinkFake) count(since int, kind, what string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.made[since:] {
		if m == kind+" "+what {
			n++
		}
	}
	return n
}

// TestPlatformApps registers a WeChat app against a fake of WeChat's API,
// as a merchant would, and checks that no secret shows anywhere.
func TestPlatformApps(t *testing.T) {
	rdb := redisSrv.Client(t) // flush
	var calls atomic.Int64
	wx := fakeWeChat(t, &calls)
	base, key := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr(),
		"SCANGATE_SECRETS_KEY=" + apps.NewKey(), "SCANGATE_PLATFORMS_WECHAT_API_BASE=" + wx.URL})

	status, body := callBody(t, base, key, "PUT", "/api/v1/apps/wechat/"+testWxApp, `{"secret":"`+testWxSecret+`"}`)
	if status != http.StatusCreated || !strings.Contains(body, `"state":"ok"`) || !strings.Contains(body, `"secret_set":true`) {
		t.Fatalf("PUT = %d %s; want 201 with state ok", status, body)
	}
	if calls.Load() != 1 {
		t.Errorf("%d token fetches for the PUT, want 1", calls.Load())
	}
	// The secret and the token WeChat gave are in Redis, sealed.
	if n, _ := rdb.Keys(context.Background(), "sg:{apps}:token:*").Result(); len(n) != 1 {
		t.Errorf("token keys %v, want the app's", n)
	}
	noSecretsInRedis(t, rdb, testWxSecret, "ACCESS-TOKEN-VALUE")
	status, body = callBody(t, base, key, "GET", "/api/v1/apps", "")
	if status != http.StatusOK || !strings.Contains(body, testWxApp) {
		t.Errorf("GET /api/v1/apps = %d %s", status, body)
	}

	// Bad input names its field; another tenant sees nothing and cannot
	// take the app id.
	status, body = callBody(t, base, key, "PUT", "/api/v1/apps/wechat/wx123", `{"secret":"x"}`)
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"appid"`) {
		t.Errorf("PUT of a bad app id = %d %s; want 422 naming appid", status, body)
	}
	other, _, err := auth.NewStore(rdb).Create(context.Background(), "other", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := callBody(t, base, other, "GET", "/api/v1/apps/wechat/"+testWxApp, ""); status != http.StatusNotFound {
		t.Errorf("another tenant's GET = %d, want 404", status)
	}
	if status, body := callBody(t, base, other, "PUT", "/api/v1/apps/wechat/"+testWxApp, `{"secret":"`+testWxSecret+`"}`); status != http.StatusConflict || strings.Contains(body, "default") {
		t.Errorf("another tenant's PUT = %d %s; want 409 naming no one", status, body)
	}
	viewer, _, _ := auth.NewStore(rdb).Create(context.Background(), auth.DefaultTenant, auth.RoleViewer)
	if status, body := callBody(t, base, viewer, "GET", "/api/v1/apps", ""); status != http.StatusForbidden || !strings.Contains(body, "admin") {
		t.Errorf("a viewer's GET = %d %s, want 403 asking for an admin key", status, body)
	}

	// A wrong secret: answered at once, with WeChat's code.
	wrong := "ffffffffffffffffffffffffffffffff"
	status, body = callBody(t, base, key, "PUT", "/api/v1/apps/wechat/"+testWxApp, `{"secret":"`+wrong+`"}`)
	if status != http.StatusOK || !strings.Contains(body, `"state":"error"`) || !strings.Contains(body, `"error_code":40125`) {
		t.Errorf("PUT with a wrong secret = %d %s; want 200, state error, 40125", status, body)
	}

	// No secret, nor the token, in any answer or Redis value.
	for _, path := range []string{"/api/v1/apps", "/api/v1/apps/wechat/" + testWxApp} {
		_, body := callBody(t, base, key, "GET", path, "")
		for _, s := range []string{testWxSecret, wrong, "ACCESS-TOKEN-VALUE"} {
			if strings.Contains(body, s) {
				t.Errorf("GET %s shows a secret: %s", path, body)
			}
		}
	}
	noSecretsInRedis(t, rdb, testWxSecret, wrong, "ACCESS-TOKEN-VALUE")

	if status, _ := callBody(t, base, key, "DELETE", "/api/v1/apps/wechat/"+testWxApp, ""); status != http.StatusNoContent {
		t.Errorf("DELETE = %d, want 204", status)
	}
	if status, _ := callBody(t, base, key, "GET", "/api/v1/apps/wechat/"+testWxApp, ""); status != http.StatusNotFound {
		t.Errorf("GET after DELETE = %d, want 404", status)
	}
}

// TestPlatformAppsNeedASecretsKey: on a real Redis without secrets.key, an
// app cannot be registered, and the answer says what to set.
func TestPlatformAppsNeedASecretsKey(t *testing.T) {
	redisSrv.Client(t) // flush
	base, key := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr()})
	status, body := callBody(t, base, key, "PUT", "/api/v1/apps/wechat/"+testWxApp, `{"secret":"`+testWxSecret+`"}`)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "SCANGATE_SECRETS_KEY") {
		t.Errorf("PUT without a secrets key = %d %s; want 503 saying to set SCANGATE_SECRETS_KEY", status, body)
	}
}

// TestSunCode: a link's WeChat sun code comes from WeChat's API for the
// tenant's registered app, with the link's code as the scene, and is kept:
// WeChat is asked once per code and options.
func TestSunCode(t *testing.T) {
	base, key, calls := wechatGateway(t)
	for _, l := range []string{
		`{"code":"T01","targets":{"wechat":{"appid":"` + testWxApp + `","path":"pages/menu/index"},"web":{"url":"https://example.com/"}}}`,
		`{"code":"T02","targets":{"wechat":{"appid":"` + testWxApp + `","path":"pages/draft"}}}`,
		`{"code":"W01","targets":{"web":{"url":"https://example.com/"}}}`,
	} {
		if status, body := callBody(t, base, key, "POST", "/api/v1/links", l); status != http.StatusCreated {
			t.Fatalf("create = %d %s", status, body)
		}
	}
	// Before the app is registered: a clear error.
	if status, body := callBody(t, base, key, "GET", "/api/v1/links/T01/qr?format=wxacode", ""); status != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "PUT /api/v1/apps/wechat/"+testWxApp) {
		t.Errorf("sun code without a registered app = %d %s; want 422 saying to register it", status, body)
	}
	registerWeChatApp(t, base, key)
	before := calls.Load()
	for range 2 {
		status, body := callBody(t, base, key, "GET", "/api/v1/links/T01/qr?format=WxaCode&width=430&line_color=00aa00", "")
		if status != http.StatusOK || !strings.HasSuffix(body, "scene=T01 page=pages/menu/index") {
			t.Fatalf("sun code = %d %q", status, body)
		}
	}
	if n := calls.Load() - before; n != 1 {
		t.Errorf("WeChat asked %d times for one sun code, want 1 (then the kept one)", n)
	}
	for _, tc := range []struct {
		path   string
		status int
		want   string
	}{
		{"/api/v1/links/T02/qr?format=wxacode", http.StatusUnprocessableEntity, "41030"},
		{"/api/v1/links/T02/qr?format=wxacode&check_path=false", http.StatusOK, "scene=T02 page=pages/draft"},
		{"/api/v1/links/W01/qr?format=wxacode", http.StatusUnprocessableEntity, "WeChat target"},
		{"/api/v1/links/T01/qr?format=wxacode&width=5000", http.StatusUnprocessableEntity, `"field":"width"`},
		{"/api/v1/links/T01/qr?format=wxacode&size=300", http.StatusUnprocessableEntity, `"field":"size"`},
	} {
		if status, body := callBody(t, base, key, "GET", tc.path, ""); status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d %s; want %d with %s", tc.path, status, body, tc.status, tc.want)
		}
	}
}

// noSecretsInRedis fails if any Redis key or value holds one of secrets.
func noSecretsInRedis(t *testing.T, rdb *redis.Client, secrets ...string) {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	for _, k := range keys {
		values := []string{k}
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				values = append(values, f, v)
			}
		case "string":
			values = append(values, rdb.Get(ctx, k).Val())
		case "set":
			values = append(values, rdb.SMembers(ctx, k).Val()...)
		case "list":
			values = append(values, rdb.LRange(ctx, k, 0, -1).Val()...)
		case "stream":
			for _, m := range rdb.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					values = append(values, f, fmt.Sprint(v))
				}
			}
		}
		for _, v := range values {
			for _, s := range secrets {
				if strings.Contains(v, s) {
					t.Errorf("Redis key %s holds a secret in clear", k)
				}
			}
		}
	}
}

const wechatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"

// wechatGateway is a gateway on a flushed Redis, with a secrets key and a
// fake of WeChat's API whose token fetches (and sun codes) it counts.
func wechatGateway(t *testing.T, extraEnv ...string) (base, key string, calls *atomic.Int64) {
	t.Helper()
	redisSrv.Client(t) // flush
	calls = new(atomic.Int64)
	wx := fakeWeChat(t, calls)
	base, key = startGateway(t, append([]string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr(),
		"SCANGATE_SECRETS_KEY=" + apps.NewKey(), "SCANGATE_PLATFORMS_WECHAT_API_BASE=" + wx.URL}, extraEnv...))
	return base, key, calls
}

// registerWeChatApp registers the fake's WeChat app for the gateway's
// tenant, as a merchant would.
func registerWeChatApp(t *testing.T, base, key string) {
	t.Helper()
	if status, body := callBody(t, base, key, "PUT", "/api/v1/apps/wechat/"+testWxApp, `{"secret":"`+testWxSecret+`"}`); status != http.StatusCreated {
		t.Fatalf("PUT app = %d %s", status, body)
	}
}

// wechatScan scans a code as WeChat would and returns the answer's status
// and Location.
func wechatScan(t *testing.T, base, code string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/s/"+code, nil)
	req.Header.Set("User-Agent", wechatUA)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// waitFor polls cond every 20 ms for up to 10 s: the URL Link is made in
// the background, and the test waits for that event, not for a time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within 10 s", what)
}

// TestWeChatScanGoesStraightIn: with the tenant's WeChat app registered, a
// link's WeChat scan is a 302 to a URL Link for its page and query with
// scene=<code>, made in the background; an edit of the page makes a new
// one, and the old page is never served meanwhile.
func TestWeChatScanGoesStraightIn(t *testing.T) {
	base, key, _ := wechatGateway(t)
	registerWeChatApp(t, base, key)
	if status, body := callBody(t, base, key, "POST", "/api/v1/links", `{"code":"TABLE7","targets":{"wechat":{"appid":"`+
		testWxApp+`","path":"pages/menu/index","query":"table=7"}}}`); status != http.StatusCreated {
		t.Fatalf("create = %d %s", status, body)
	}
	var link string
	waitFor(t, "a URL Link on the link", func() bool {
		_, loc := wechatScan(t, base, "TABLE7")
		link = loc
		return strings.HasPrefix(loc, "https://wxaurl.cn/")
	})
	if got := fakeURLLinks.madeFor(link); got != "pages/menu/index?table=7&scene=TABLE7" {
		t.Errorf("the URL Link opens %q, want pages/menu/index?table=7&scene=TABLE7", got)
	}
	if status, body := callBody(t, base, key, "PATCH", "/api/v1/links/TABLE7", `{"targets":{"wechat":{"path":"pages/dinner/index"}}}`); status != http.StatusOK {
		t.Fatalf("patch = %d %s", status, body)
	}
	waitFor(t, "a URL Link for the new page", func() bool {
		status, loc := wechatScan(t, base, "TABLE7")
		if loc == link {
			t.Fatalf("a scan after the edit went to the old page's URL Link %s", loc)
		}
		return status == http.StatusFound && fakeURLLinks.madeFor(loc) == "pages/dinner/index?table=7&scene=TABLE7"
	})
}
