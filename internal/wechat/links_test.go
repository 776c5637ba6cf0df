package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeLinks is WeChat's generate_urllink and getwxacodeunlimit as
// documented: the access token in the query (40001 for another), a path
// that must be a published page (40165 / 41030), a query of at most 1024
// characters of WeChat's set, an expiry at most 30 days ahead, a scene of
// at most 32 characters; an unpublished app answers 85079.
type fakeLinks struct {
	token     string
	pages     map[string]bool
	published bool
	now       time.Time
	last      map[string]any
	// perMinute, when set, is how many links and schemes it makes before
	// answering 44990 (too fast).
	perMinute, made int
}

var (
	queryChars = regexp.MustCompile(`^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*$`)
	sceneChars = regexp.MustCompile(`^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]{1,32}$`)
)

func (f *fakeLinks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		json.NewEncoder(w).Encode(map[string]any{"errcode": code, "errmsg": msg})
	}
	if r.URL.Query().Get("access_token") != f.token {
		fail(CodeInvalidCredential, "invalid credential, access_token is invalid or not latest")
		return
	}
	var req map[string]any
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		fail(47001, "data format error")
		return
	}
	f.last = req
	if !f.published {
		fail(CodeNotPublished, "no release version")
		return
	}
	if r.URL.Path != "/wxa/getwxacodeunlimit" && f.perMinute > 0 {
		if f.made >= f.perMinute {
			fail(CodeTooFast, "api freq out of limit")
			return
		}
		f.made++
	}
	switch r.URL.Path {
	case "/wxa/generatescheme":
		jump, _ := req["jump_wxa"].(map[string]any)
		path, _ := jump["path"].(string)
		query, _ := jump["query"].(string)
		exp, _ := req["expire_time"].(float64)
		switch {
		case path != "" && !f.pages[path]:
			fail(CodeBadPagePath, "invalid weapp pagepath")
		case len(query) > 1024 || !queryChars.MatchString(query):
			fail(40212, "invalid query")
		case jump["env_version"] == nil || req["expire_type"] != 0.0 || time.Unix(int64(exp), 0).After(f.now.Add(30*24*time.Hour)):
			fail(40213, "invalid expire time")
		default:
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "openlink": "weixin://dl/business/?t=FAKE" + strings.ReplaceAll(path, "/", "")})
		}
	case "/wxa/generate_urllink":
		path, _ := req["path"].(string)
		query, _ := req["query"].(string)
		exp, _ := req["expire_time"].(float64)
		switch {
		case path != "" && !f.pages[path]:
			fail(CodeBadPagePath, "invalid weapp pagepath")
		case len(query) > 1024 || !queryChars.MatchString(query):
			fail(40212, "invalid query")
		case req["expire_type"] != 0.0 || time.Unix(int64(exp), 0).After(f.now.Add(30*24*time.Hour)):
			fail(40213, "invalid expire time")
		default:
			json.NewEncoder(w).Encode(map[string]any{"errcode": 0, "errmsg": "ok", "url_link": "https://wxaurl.cn/FAKE" + path})
		}
	case "/wxa/getwxacodeunlimit":
		scene, _ := req["scene"].(string)
		page, _ := req["page"].(string)
		switch {
		case !sceneChars.MatchString(scene):
			fail(40169, "invalid scene")
		case req["check_path"] == true && !f.pages[page]:
			fail(CodeNoPage, "invalid page")
		default:
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(append([]byte{0xff, 0xd8, 0xff}, scene...))
		}
	default:
		http.NotFound(w, r)
	}
}

func TestGenerateURLLink(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	f := &fakeLinks{token: "TOKEN", pages: map[string]bool{"pages/menu/index": true}, published: true, now: now}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL, 5*time.Second)
	ctx := context.Background()
	link, err := c.GenerateURLLink(ctx, "TOKEN", Launch{Path: "pages/menu/index", Query: "scene=T01&sg_v=A"}, now.Add(29*24*time.Hour))
	if err != nil || link != "https://wxaurl.cn/FAKEpages/menu/index" {
		t.Fatalf("GenerateURLLink = %q, %v", link, err)
	}
	if f.last["env_version"] != "release" || f.last["query"] != "scene=T01&sg_v=A" {
		t.Errorf("request %v: want env_version release and the query as given", f.last)
	}
	for _, tc := range []struct {
		name  string
		token string
		l     Launch
		code  int
	}{
		{"stale token", "OLD", Launch{Path: "pages/menu/index"}, CodeInvalidCredential},
		{"unknown page", "TOKEN", Launch{Path: "pages/nope"}, CodeBadPagePath},
	} {
		_, err := c.GenerateURLLink(ctx, tc.token, tc.l, now.Add(time.Hour))
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.Code != tc.code {
			t.Errorf("%s: err = %v, want WeChat's %d", tc.name, err, tc.code)
		}
		if err != nil && strings.Contains(err.Error(), tc.token) {
			t.Errorf("%s: the error %q carries the token", tc.name, err)
		}
	}
	if !TokenRejected(func() error { _, err := c.GenerateURLLink(ctx, "OLD", Launch{}, now.Add(time.Hour)); return err }()) {
		t.Error("a stale token's error is not TokenRejected")
	}
	f.published = false
	if _, err := c.GenerateURLLink(ctx, "TOKEN", Launch{}, now.Add(time.Hour)); !isCode(err, CodeNotPublished) {
		t.Errorf("unpublished app: err = %v, want 85079", err)
	}
}

func TestGenerateScheme(t *testing.T) {
	now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	f := &fakeLinks{token: "TOKEN", pages: map[string]bool{"pages/menu/index": true}, published: true, now: now, perMinute: 2}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL, 5*time.Second)
	ctx := context.Background()
	s, err := c.GenerateScheme(ctx, "TOKEN", Launch{Path: "pages/menu/index", Query: "scene=T01", EnvVersion: "trial"}, now.Add(29*24*time.Hour))
	if err != nil || s != "weixin://dl/business/?t=FAKEpagesmenuindex" {
		t.Fatalf("GenerateScheme = %q, %v", s, err)
	}
	if jump := f.last["jump_wxa"].(map[string]any); jump["env_version"] != "trial" || jump["query"] != "scene=T01" {
		t.Errorf("jump_wxa %v: want the env and the query as given", jump)
	}
	if _, err := c.GenerateScheme(ctx, "TOKEN", Launch{Path: "pages/nope"}, now.Add(time.Hour)); !isCode(err, CodeBadPagePath) {
		t.Errorf("unknown page: err = %v, want 40165", err)
	}
	if _, err := c.GenerateScheme(ctx, "TOKEN", Launch{}, now.Add(time.Hour)); !isCode(err, CodeTooFast) {
		t.Errorf("past the rate: err = %v, want a throttled 44990", err)
	}
}

func TestGetUnlimited(t *testing.T) {
	f := &fakeLinks{token: "TOKEN", pages: map[string]bool{"pages/menu/index": true}, published: true}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := NewClient(srv.URL, 5*time.Second)
	ctx := context.Background()
	img, mt, err := c.GetUnlimited(ctx, "TOKEN", SunCode{Scene: "T01", Page: "pages/menu/index", CheckPath: true,
		Width: 430, LineColor: &[3]uint8{0, 0, 255}, Hyaline: true})
	if err != nil || mt != "image/jpeg" || !bytes.HasSuffix(img, []byte("T01")) {
		t.Fatalf("GetUnlimited = %q, %q, %v", img, mt, err)
	}
	if f.last["auto_color"] != false || f.last["is_hyaline"] != true || f.last["width"] != 430.0 {
		t.Errorf("request %v: want the colour, transparency and width sent", f.last)
	}
	if _, _, err := c.GetUnlimited(ctx, "TOKEN", SunCode{Scene: "T01", Page: "pages/nope", CheckPath: true}); !isCode(err, CodeNoPage) {
		t.Errorf("unpublished page: err = %v, want 41030", err)
	}
	if _, _, err := c.GetUnlimited(ctx, "TOKEN", SunCode{Scene: "T01", Page: "pages/nope"}); err != nil {
		t.Errorf("unchecked page: err = %v, want an image", err)
	}
}

// TestErrorsWithoutToken: a transport error names neither the URL nor the
// token in it.
func TestErrorsWithoutToken(t *testing.T) {
	c := NewClient("http://127.0.0.1:1", time.Second) // nothing listens there
	_, err := c.GenerateURLLink(context.Background(), "SECRET-TOKEN", Launch{}, time.Now().Add(time.Hour))
	if !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Errorf("err = %v, want ErrUnavailable without the token", err)
	}
}

func isCode(err error, code int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}
