package douyin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fake is Douyin's /oauth/client_token/ as documented: POST JSON with
// client_key, client_secret and grant_type; the answer's data holds the
// token or an error_code (10003 unknown client_key, 10013 wrong secret,
// 10002 bad parameters). Each call issues a new token.
type fake struct {
	mu     sync.Mutex
	issued int
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/oauth/client_token/" {
		http.NotFound(w, r)
		return
	}
	answer := func(data map[string]any, message string) {
		json.NewEncoder(w).Encode(map[string]any{"data": data, "message": message})
	}
	var req struct {
		ClientKey    string `json:"client_key"`
		ClientSecret string `json:"client_secret"`
		GrantType    string `json:"grant_type"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GrantType != "client_credential" {
		answer(map[string]any{"error_code": CodeBadParams, "description": "参数错误"}, "error")
		return
	}
	switch {
	case req.ClientKey != "tt1234567890abcdef":
		answer(map[string]any{"error_code": CodeUnknownApp, "description": "client_key 不存在"}, "error")
	case req.ClientSecret != "right-secret":
		answer(map[string]any{"error_code": CodeBadSecret, "description": "client_key 或者 client_secret 报错"}, "error")
	default:
		f.issued++
		answer(map[string]any{"access_token": "clt." + strings.Repeat("x", f.issued), "expires_in": 7200,
			"error_code": 0, "description": ""}, "success")
	}
}

func TestClientToken(t *testing.T) {
	srv := httptest.NewServer(&fake{})
	defer srv.Close()
	c := NewClient(srv.URL, 5*time.Second)
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	tok, err := c.ClientToken(context.Background(), "tt1234567890abcdef", "right-secret", now)
	if err != nil || !strings.HasPrefix(tok.Value, "clt.") || !tok.ExpiresAt.Equal(now.Add(2*time.Hour)) {
		t.Fatalf("ClientToken = %+v, %v; want a clt. token good for 2 h", tok, err)
	}
	for _, tc := range []struct {
		name, appID, secret string
		code                int
	}{
		{"wrong secret", "tt1234567890abcdef", "wrong-secret", CodeBadSecret},
		{"unknown app", "tt0000000000000000", "right-secret", CodeUnknownApp},
	} {
		_, err := c.ClientToken(context.Background(), tc.appID, tc.secret, now)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Code != tc.code {
			t.Errorf("%s: err = %v, want Douyin's %d", tc.name, err, tc.code)
		}
		if err != nil && strings.Contains(err.Error(), tc.secret) {
			t.Errorf("%s: the error %q carries the secret", tc.name, err)
		}
	}
}

func TestClientTokenUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"HTTP error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) }},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }},
		{"no token", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"data":{"error_code":0},"message":"success"}`))
		}},
		{"too slow", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // then the server notices the client leave
			<-r.Context().Done()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			_, err := NewClient(srv.URL, 200*time.Millisecond).ClientToken(context.Background(), "tt1234567890abcdef", "s3cret-value", time.Now())
			if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "s3cret-value") {
				t.Errorf("err = %v, want ErrUnavailable without the secret", err)
			}
		})
	}
}

// fakeURLLink is Douyin's url_link/generate as documented: the client
// token in the access-token header (28001003 otherwise), a host among
// douyin, douyinlite, toutiao, toutiaolite, a query that is a JSON string
// of at most 1024 characters, an expiry at most 180 days ahead.
func fakeURLLink(t *testing.T, now time.Time, last *map[string]any) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(code int, msg string) {
			json.NewEncoder(w).Encode(map[string]any{"err_no": code, "err_msg": msg, "log_id": "L", "data": map[string]any{}})
		}
		if r.URL.Path != "/api/apps/v1/url_link/generate/" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("access-token") != "clt.TOKEN" {
			fail(CodeInvalidToken, "access_token无效")
			return
		}
		var req map[string]any
		json.NewDecoder(r.Body).Decode(&req)
		*last = req
		query, _ := req["query"].(string)
		exp, _ := req["expire_time"].(float64)
		var q map[string]any
		switch {
		case req["app_id"] != "tt1234567890abcdef":
			fail(28001018, "app_id 错误")
		case !map[any]bool{"douyin": true, "douyinlite": true, "toutiao": true, "toutiaolite": true}[req["app_name"]]:
			fail(28001007, "app_name 错误")
		case len(query) > 1024 || json.Unmarshal([]byte(query), &q) != nil:
			fail(28001007, "query 错误")
		case time.Unix(int64(exp), 0).After(now.Add(180 * 24 * time.Hour)):
			fail(28001007, "expire_time 错误")
		default:
			json.NewEncoder(w).Encode(map[string]any{"err_no": 0, "err_msg": "", "log_id": "L",
				"data": map[string]any{"url_link": "https://z.douyin.com/FAKE"}})
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestGenerateURLLink(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	var last map[string]any
	c := NewClient(fakeURLLink(t, now, &last).URL, 5*time.Second)
	ctx := context.Background()
	link, err := c.GenerateURLLink(ctx, "clt.TOKEN", "tt1234567890abcdef",
		Launch{Path: "pages/menu", Query: map[string]string{"scene": "T01", "sg_v": "A"}}, now.Add(179*24*time.Hour))
	if err != nil || link != "https://z.douyin.com/FAKE" {
		t.Fatalf("GenerateURLLink = %q, %v", link, err)
	}
	if last["app_name"] != "douyin" || last["query"] != `{"scene":"T01","sg_v":"A"}` {
		t.Errorf("request %v: want host douyin and the query as a JSON string", last)
	}
	if _, err := c.GenerateURLLink(ctx, "clt.TOKEN", "tt1234567890abcdef", Launch{}, now.Add(time.Hour)); err != nil || last["query"] != "{}" {
		t.Errorf("no query: %v, sent %v; want {}", err, last["query"])
	}
	_, err = c.GenerateURLLink(ctx, "clt.OLD", "tt1234567890abcdef", Launch{}, now.Add(time.Hour))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != CodeInvalidToken || strings.Contains(err.Error(), "clt.OLD") {
		t.Errorf("stale token: err = %v, want %d without the token", err, CodeInvalidToken)
	}
}

// TestRedirectsNotFollowed: a redirect is an error; the secret and the
// access-token header go nowhere else.
func TestRedirectsNotFollowed(t *testing.T) {
	var got atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer elsewhere.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusPermanentRedirect)
	}))
	defer srv.Close()
	c := NewClient(srv.URL, time.Second)
	_, err1 := c.ClientToken(context.Background(), "tt1234567890abcdef", "s3cret-value", time.Now())
	_, err2 := c.GenerateURLLink(context.Background(), "clt.TOKEN", "tt1234567890abcdef", Launch{}, time.Now().Add(time.Hour))
	if !errors.Is(err1, ErrUnavailable) || !errors.Is(err2, ErrUnavailable) || got.Load() != 0 {
		t.Errorf("errs %v, %v, %d requests elsewhere; want ErrUnavailable and none", err1, err2, got.Load())
	}
}
