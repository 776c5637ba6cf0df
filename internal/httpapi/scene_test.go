package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestParseSceneURL(t *testing.T) {
	const base = "https://gw.example.com"
	for _, tc := range []struct {
		name, q, code string
	}{
		{"plain", "https://gw.example.com/s/AbC123", "AbC123"},
		{"upper-case QR", "HTTPS://GW.EXAMPLE.COM/S/ABC123", "ABC123"},
		{"query and slash", "https://gw.example.com/s/AbC123/?from=poster", "AbC123"},
		{"http", "http://gw.example.com/s/AbC123", "AbC123"},
		{"still encoded once", "https%3A%2F%2Fgw.example.com%2Fs%2FAbC123", "AbC123"},
		{"other host", "https://evil.example.com/s/AbC123", ""},
		{"host suffix", "https://gw.example.com.evil.cn/s/AbC123", ""},
		{"not a scan path", "https://gw.example.com/api/v1/links", ""},
		{"bad code", "https://gw.example.com/s/a.b", ""},
		{"nested path", "https://gw.example.com/s/AbC123/extra", ""},
		{"no scheme", "gw.example.com/s/AbC123", ""},
		{"javascript", "javascript:alert(1)", ""},
		{"too long", "https://gw.example.com/s/" + strings.Repeat("a", 3000), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := parseSceneURL(tc.q, base)
			if tc.code == "" {
				if err == nil {
					t.Fatalf("parseSceneURL(%q) = %q, want an error", tc.q, code)
				}
				var fe fielder
				if !asFielder(err, &fe) || fe.Field() != "q" {
					t.Fatalf("parseSceneURL(%q) err = %v, want a field error on q", tc.q, err)
				}
				return
			}
			if err != nil || code != tc.code {
				t.Fatalf("parseSceneURL(%q) = %q, %v; want %q", tc.q, code, err, tc.code)
			}
		})
	}
	if code, err := parseSceneURL("https://example.com/gw/S/xyz9", "https://example.com/gw"); err != nil || code != "xyz9" {
		t.Errorf("base with a path: %q, %v", code, err)
	}
}

func asFielder(err error, fe *fielder) bool {
	f, ok := err.(fielder)
	*fe = f
	return ok
}

func FuzzParseSceneURL(f *testing.F) {
	for _, s := range []string{"https://gw.example.com/s/AbC123", "HTTPS://GW.EXAMPLE.COM/S/ABC", "https%3A%2F%2Fgw.example.com%2Fs%2Fabc", "https://gw.example.com/s/", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		code, err := parseSceneURL(q, "https://gw.example.com")
		if err != nil {
			return
		}
		if len(code) < 3 || len(code) > 32 {
			t.Fatalf("parseSceneURL(%q) = %q: not a valid code", q, code)
		}
	})
}

func TestSceneAPI(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"AbC123","campaign":"spring","params":{"store":"PD01","table":"12"},"targets":{"wechat":{"appid":"wx1234567890abcdef"}}}`)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"ended1","status":"paused","targets":{"wechat":{"appid":"wx1234567890abcdef"}}}`)
	want := `{"code":"AbC123","params":{"store":"PD01","table":"12"},"campaign":"spring"}`
	for _, path := range []string{
		"/api/v1/scene/AbC123",
		"/api/v1/scene/abc123",
		"/api/v1/scene?q=" + url.QueryEscape("https://gw.example.com/s/AbC123"),
		"/api/v1/scene?q=" + url.QueryEscape("HTTPS://GW.EXAMPLE.COM/S/ABC123") + "&platform=alipay",
	} {
		rec := e.do("GET", path, "", "", "")
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != want {
			t.Errorf("GET %s = %d %s, want %s", path, rec.Code, rec.Body, want)
		}
	}
	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/scene/nothere", 404, "not_found"},
		{"/api/v1/scene/ended1", 410, "inactive"},
		{"/api/v1/scene?q=", 422, "invalid"},
		{"/api/v1/scene?q=" + url.QueryEscape("https://other.example.com/s/AbC123"), 422, "invalid"},
		{"/api/v1/scene?q=" + url.QueryEscape("https://gw.example.com/s/AbC123") + "&platform=myspace", 422, "invalid"},
	} {
		rec := e.do("GET", tc.path, "", "", "")
		if rec.Code != tc.status || errorOf(t, rec).Code != tc.code {
			t.Errorf("GET %s = %d %s, want %d %s", tc.path, rec.Code, rec.Body, tc.status, tc.code)
		}
	}
}

func TestEventsAPI(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"ev1","targets":{"web":{"url":"https://e.com/"}}}`)
	for _, body := range []string{
		`{"code":"ev1","type":"open","platform":"wechat"}`,
		`{"code":"EV1","type":"conversion","value":3800}`,
	} {
		if rec := e.json("POST", "/api/v1/events", e.admin, body); rec.Code != http.StatusAccepted {
			t.Errorf("POST events %s = %d %s", body, rec.Code, rec.Body)
		}
	}
	for _, tc := range []struct {
		body, field string
		status      int
	}{
		{`{"code":"ev1","type":"click"}`, "type", 422},
		{`{"code":"ev1","type":"open","platform":"myspace"}`, "platform", 422},
		{`{"code":"ev1","type":"conversion","value":-5}`, "value", 422},
		{`{"code":"ev1","type":"open","extra":1}`, "extra", 422},
		{`{"code":"ev1","type":"open","value":"ten"}`, "value", 422},
		{`{"code":"a b","type":"open"}`, "code", 422},
		{`{"code":"nothere","type":"open"}`, "", 404},
		{`{"code":`, "", 400},
		{`{"code":"ev1","type":"open","platform":"` + strings.Repeat("x", 5000) + `"}`, "", 413},
	} {
		rec := e.json("POST", "/api/v1/events", "", tc.body)
		if rec.Code != tc.status || errorOf(t, rec).Field != tc.field {
			t.Errorf("POST events %.60s = %d %s, want %d field %q", tc.body, rec.Code, rec.Body, tc.status, tc.field)
		}
	}
}

func TestUppercaseRefusedUnderABasePath(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PublicBaseURL = "https://example.com/gw" })
	e.json("POST", "/api/v1/links", e.admin, `{"code":"up1","targets":{"web":{"url":"https://e.com/"}}}`)
	rec := e.do("GET", "/api/v1/links/up1/qr?uppercase=true", e.viewer, "", "")
	if rec.Code != 422 || errorOf(t, rec).Field != "uppercase" {
		t.Fatalf("uppercase under a base path = %d %s, want 422 on uppercase", rec.Code, rec.Body)
	}
	rec = e.json("POST", "/api/v1/qr/export", e.admin, `{"codes":["up1"],"uppercase":true}`)
	if rec.Code != 422 || errorOf(t, rec).Field != "uppercase" {
		t.Fatalf("export with uppercase under a base path = %d %s, want 422 on uppercase", rec.Code, rec.Body)
	}
}

func TestBoundedUserAgent(t *testing.T) {
	long := strings.Repeat("a", 70_000)
	if got := boundedUA(long); len(got) != maxRecordedUA {
		t.Fatalf("boundedUA kept %d bytes, want %d", len(got), maxRecordedUA)
	}
	if got := boundedUA("Mozilla/5.0"); got != "Mozilla/5.0" {
		t.Fatalf("boundedUA changed a short UA: %q", got)
	}
}
