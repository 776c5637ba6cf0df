package wechat

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

// fake is WeChat's stable_token endpoint as documented: POST JSON, normal
// mode returns the current token while it lives, force_refresh issues a
// new one (at most 20 a day, 30 s apart: 45009 otherwise), a wrong secret
// is 40125, an unknown app 40013.
type fake struct {
	mu        sync.Mutex
	secrets   map[string]string
	tokens    map[string]string
	lastForce map[string]time.Time
	forces    int
	now       func() time.Time
	calls     int
}

func newFake(now func() time.Time) *fake {
	return &fake{secrets: map[string]string{"wx1234567890abcdef": "right-secret"},
		tokens: map[string]string{}, lastForce: map[string]time.Time{}, now: now}
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	answer := func(v any) { json.NewEncoder(w).Encode(v) }
	if r.Method != http.MethodPost || r.URL.Path != "/cgi-bin/stable_token" {
		http.NotFound(w, r)
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.GrantType != "client_credential" {
		answer(map[string]any{"errcode": 40002, "errmsg": "invalid grant_type"})
		return
	}
	secret, ok := f.secrets[req.AppID]
	switch {
	case !ok:
		answer(map[string]any{"errcode": CodeInvalidAppID, "errmsg": "invalid appid"})
		return
	case secret != req.Secret:
		answer(map[string]any{"errcode": CodeBadSecret, "errmsg": "invalid appsecret"})
		return
	}
	if req.ForceRefresh {
		if last, ok := f.lastForce[req.AppID]; (ok && f.now().Sub(last) < 30*time.Second) || f.forces >= 20 {
			answer(map[string]any{"errcode": 45009, "errmsg": "reach max api daily quota limit"})
			return
		}
		f.forces++
		f.lastForce[req.AppID] = f.now()
		delete(f.tokens, req.AppID)
	}
	if f.tokens[req.AppID] == "" {
		f.tokens[req.AppID] = "TOKEN-" + f.now().Format("150405.000")
	}
	answer(map[string]any{"access_token": f.tokens[req.AppID], "expires_in": 7200})
}

func TestStableToken(t *testing.T) {
	clock := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	f := newFake(func() time.Time { return clock })
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL+"/", 5*time.Second)
	ctx := context.Background()

	tok, err := c.StableToken(ctx, "wx1234567890abcdef", "right-secret", false, clock)
	if err != nil || tok.Value == "" || !tok.ExpiresAt.Equal(clock.Add(2*time.Hour)) {
		t.Fatalf("StableToken = %+v, %v; want a token good for 2 h", tok, err)
	}
	again, err := c.StableToken(ctx, "wx1234567890abcdef", "right-secret", false, clock)
	if err != nil || again.Value != tok.Value {
		t.Errorf("normal mode again = %+v, %v; want the same token", again, err)
	}
	clock = clock.Add(time.Minute)
	forced, err := c.StableToken(ctx, "wx1234567890abcdef", "right-secret", true, clock)
	if err != nil || forced.Value == tok.Value {
		t.Errorf("forced = %+v, %v; want a new token", forced, err)
	}
	_, err = c.StableToken(ctx, "wx1234567890abcdef", "right-secret", true, clock.Add(10*time.Second))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 45009 {
		t.Errorf("a second force within 30 s: err = %v, want WeChat's 45009", err)
	}

	for _, tc := range []struct {
		name, appID, secret string
		code                int
	}{
		{"wrong secret", "wx1234567890abcdef", "wrong-secret", CodeBadSecret},
		{"unknown app", "wx0000000000000000", "right-secret", CodeInvalidAppID},
	} {
		_, err := c.StableToken(ctx, tc.appID, tc.secret, false, clock)
		if !errors.As(err, &apiErr) || apiErr.Code != tc.code {
			t.Errorf("%s: err = %v, want WeChat's %d", tc.name, err, tc.code)
		}
		if err != nil && strings.Contains(err.Error(), tc.secret) {
			t.Errorf("%s: the error %q carries the secret", tc.name, err)
		}
	}
}

func TestStableTokenUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"HTTP error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "bad gateway", http.StatusBadGateway) }},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) }},
		{"no token", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"expires_in":7200}`)) }},
		{"too slow", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // then the server notices the client leave
			<-r.Context().Done()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			_, err := NewClient(srv.URL, 200*time.Millisecond).StableToken(context.Background(), "wx1234567890abcdef", "s3cret-value", false, time.Now())
			if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "s3cret-value") {
				t.Errorf("err = %v, want ErrUnavailable without the secret", err)
			}
		})
	}
}

func TestTokenRejected(t *testing.T) {
	for code, want := range map[int]bool{40001: true, 40014: true, 42001: true, 40125: false, 45009: false} {
		if got := TokenRejected(&APIError{Code: code}); got != want {
			t.Errorf("TokenRejected(%d) = %v, want %v", code, got, want)
		}
	}
	if TokenRejected(ErrUnavailable) {
		t.Error("TokenRejected(ErrUnavailable) = true")
	}
}

// TestRedirectsNotFollowed: a redirect from the API (a 307 would make Go
// post the body, secret included, again) is an error, and the other host
// receives nothing.
func TestRedirectsNotFollowed(t *testing.T) {
	var got atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer elsewhere.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	_, err := NewClient(srv.URL, time.Second).StableToken(context.Background(), "wx1234567890abcdef", "s3cret-value", false, time.Now())
	if !errors.Is(err, ErrUnavailable) || got.Load() != 0 {
		t.Errorf("err = %v, %d requests elsewhere; want ErrUnavailable and none", err, got.Load())
	}
}

// TestSignature checks the JS-SDK signature against WeChat's published
// sample (JS-SDK documentation, appendix 1).
func TestSignature(t *testing.T) {
	got := Signature("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
		"Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value")
	if want := "0f9de62fce790f9a083d5c99e95740ceb90c27ed"; got != want {
		t.Errorf("Signature(WeChat's sample) = %s, want %s", got, want)
	}
}

// TestJSAPITicket: the ticket for a good token; WeChat's 40001 for a stale
// one, as an error that carries neither the token nor the URL.
func TestJSAPITicket(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != http.MethodGet || r.URL.Path != "/cgi-bin/ticket/getticket" || r.URL.Query().Get("type") != "jsapi":
			http.NotFound(w, r)
		case r.URL.Query().Get("access_token") != "SVC-TOKEN":
			w.Write([]byte(`{"errcode":40001,"errmsg":"invalid credential"}`))
		default:
			w.Write([]byte(`{"errcode":0,"errmsg":"ok","ticket":"TICKET-1","expires_in":7200}`))
		}
	}))
	defer srv.Close()
	c := NewClient(srv.URL, 5*time.Second)
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	tk, err := c.JSAPITicket(context.Background(), "SVC-TOKEN", now)
	if err != nil || tk.Value != "TICKET-1" || !tk.ExpiresAt.Equal(now.Add(2*time.Hour)) {
		t.Fatalf("JSAPITicket = %+v, %v", tk, err)
	}
	_, err = c.JSAPITicket(context.Background(), "OLD-TOKEN", now)
	if !TokenRejected(err) || strings.Contains(err.Error(), "OLD-TOKEN") {
		t.Errorf("stale token: err = %v, want 40001 without the token", err)
	}
}
