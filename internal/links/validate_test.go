package links

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCreateRejections(t *testing.T) {
	s := newTestStore(t, Options{})
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name, body, field string
	}{
		{"no targets", `{"targets":{}}`, "targets"},
		{"code too short", `{"code":"ab",` + webOnly[1:], "code"},
		{"code too long", `{"code":"` + long(33) + `",` + webOnly[1:], "code"},
		{"code bad char", `{"code":"a.b.c",` + webOnly[1:], "code"},
		{"code reserved", `{"code":"API",` + webOnly[1:], "code"},
		{"code reserved lower", `{"code":"healthz",` + webOnly[1:], "code"},
		{"title too long", `{"title":"` + long(201) + `",` + webOnly[1:], "title"},
		{"title control char", `{"title":"a\u0007b",` + webOnly[1:], "title"},
		{"title bidi override", `{"title":"invoice\u202Efdp.exe",` + webOnly[1:], "title"},
		{"title zero-width space", `{"title":"a\u200Bb",` + webOnly[1:], "title"},
		{"title line separator", `{"title":"a\u2028b",` + webOnly[1:], "title"},
		{"campaign with brace", `{"campaign":"a{b}",` + webOnly[1:], "campaign"},
		{"too many tags", `{"tags":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21"],` + webOnly[1:], "tags"},
		{"tag with space", `{"tags":["a b"],` + webOnly[1:], "tags"},
		{"param key", `{"params":{"a b":"1"},` + webOnly[1:], "params"},
		{"param value too long", `{"params":{"k":"` + long(257) + `"},` + webOnly[1:], "params.k"},
		{"params too big", `{"params":{` + manyParams(12, 200) + `},` + webOnly[1:], "params"},
		{"wechat appid", `{"targets":{"wechat":{"appid":"wx123"}}}`, "targets.wechat.appid"},
		{"wechat appid upper hex", `{"targets":{"wechat":{"appid":"wx1234567890ABCDEF"}}}`, "targets.wechat.appid"},
		{"wechat path with scheme", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"https://x/y"}}}`, "targets.wechat.path"},
		{"wechat path double slash", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"//evil/x"}}}`, "targets.wechat.path"},
		{"wechat path query", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/a?x=1"}}}`, "targets.wechat.path"},
		{"wechat path dotdot", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/../x"}}}`, "targets.wechat.path"},
		{"wechat query too long encoded", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","query":"a=` + strings.Repeat("%", 170) + `"}}}`, "targets.wechat.query"},
		{"wechat query has scene", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","query":"a=1&scene=x"}}}`, "targets.wechat.query"},
		{"wechat env", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","env_version":"beta"}}}`, "targets.wechat.env_version"},
		{"wechat url_link scheme", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"javascript:alert(1)"}}}`, "targets.wechat.url_link"},
		{"wechat url_link other host", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://evil.example.com/x"}}}`, "targets.wechat.url_link"},
		{"wechat url_link http", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"http://wxaurl.cn/AbC"}}}`, "targets.wechat.url_link"},
		{"wechat url_link expiry alone", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link_expires_at":"2099-01-01T00:00:00Z"}}}`, "targets.wechat.url_link_expires_at"},
		{"alipay appid", `{"targets":{"alipay":{"appid":"202100123456789"}}}`, "targets.alipay.appid"},
		{"alipay query too long", `{"targets":{"alipay":{"appid":"2021001234567890","query":"a=` + long(1023) + `"}}}`, "targets.alipay.query"},
		{"baidu appkey", `{"targets":{"baidu":{"appkey":"short"}}}`, "targets.baidu.appkey"},
		{"baidu reserved key", `{"targets":{"baidu":{"appkey":"4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c","query":"callback=x"}}}`, "targets.baidu.query"},
		{"douyin appid", `{"targets":{"douyin":{"appid":"tt12"}}}`, "targets.douyin.appid"},
		{"qq appid", `{"targets":{"qq":{"appid":"abc"}}}`, "targets.qq.appid"},
		{"kuaishou appid", `{"targets":{"kuaishou":{"appid":"ks12"}}}`, "targets.kuaishou.appid"},
		{"web javascript", `{"targets":{"web":{"url":"javascript:alert(1)"}}}`, "targets.web.url"},
		{"web relative", `{"targets":{"web":{"url":"/menu"}}}`, "targets.web.url"},
		{"web userinfo", `{"targets":{"web":{"url":"https://user:pw@example.com/"}}}`, "targets.web.url"},
		{"web no host", `{"targets":{"web":{"url":"https:///path"}}}`, "targets.web.url"},
		{"web space", `{"targets":{"web":{"url":"https://example.com/a b"}}}`, "targets.web.url"},
		{"web too long", `{"targets":{"web":{"url":"https://example.com/` + long(2040) + `"}}}`, "targets.web.url"},
		{"fallback ftp", `{"fallback_url":"ftp://example.com/",` + webOnly[1:], "fallback_url"},
		{"status", `{"status":"deleted",` + webOnly[1:], "status"},
		{"times reversed", `{"starts_at":"2098-02-01T00:00:00Z","expires_at":"2098-01-01T00:00:00Z",` + webOnly[1:], "expires_at"},
		{"expired already", `{"expires_at":"2001-01-01T00:00:00Z",` + webOnly[1:], "expires_at"},
		{"negative max_scans", `{"max_scans":-1,` + webOnly[1:], "max_scans"},
		{"unknown field", `{"colour":"red",` + webOnly[1:], "colour"},
		{"unknown target", `{"targets":{"line":{"appid":"x"}}}`, "targets.line"},
		{"field name in the wrong case", `{"Title":"x",` + webOnly[1:], "Title"},
		{"invalid UTF-8", "{\"title\":\"\xc4\xe3\xba\xc3\"," + webOnly[1:], "title"},
		{"time not RFC 3339", `{"expires_at":"tomorrow",` + webOnly[1:], "expires_at"},
		{"wrong type", `{"title":12,` + webOnly[1:], "title"},
		{"wrong nested type", `{"params":{"n":1},` + webOnly[1:], "params.n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := DecodeInput([]byte(tc.body))
			if err == nil {
				_, err = s.Create(ctx, "acme", in, Actor{By: "key:test"})
			}
			var fe *FieldError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) {
				t.Fatalf("Create(%.80s) err = %v, want a *FieldError", tc.body, err)
			}
			if fe.Name != tc.field {
				t.Fatalf("Create(%.80s) field = %q, want %q (%v)", tc.body, fe.Name, tc.field, err)
			}
		})
	}
	if page, _ := s.List(ctx, "acme", ListQuery{}); len(page.Items) != 0 {
		t.Errorf("rejected creates left %d links behind", len(page.Items))
	}
}

func manyParams(n, size int) string {
	var parts []string
	for i := 0; i < n; i++ {
		parts = append(parts, `"k`+string(rune('a'+i))+`":"`+strings.Repeat("v", size)+`"`)
	}
	return strings.Join(parts, ",")
}

func TestDecodeInputMalformed(t *testing.T) {
	for _, body := range []string{``, `{`, `{"title":"x"} {}`, `[]`, `"str"`, `null`, `{"title":"x",}`} {
		if _, err := DecodeInput([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeInput(%q) err = %v, want ErrMalformed", body, err)
		}
	}
}

func TestValidCodeAndCanonical(t *testing.T) {
	for _, tc := range []struct {
		code  string
		valid bool
		canon string
	}{
		{"AbC123", true, "ABC123"},
		{"abc", true, "ABC"},
		{"A_b-C", true, "A_B-C"},
		{"ab", false, "AB"},
		{"with space", false, ""},
		{"中文码", false, ""},
		{strings.Repeat("z", 32), true, strings.Repeat("Z", 32)},
	} {
		if got := ValidCode(tc.code); got != tc.valid {
			t.Errorf("ValidCode(%q) = %v, want %v", tc.code, got, tc.valid)
		}
		if tc.canon != "" && Canonical(tc.code) != tc.canon {
			t.Errorf("Canonical(%q) = %q, want %q", tc.code, Canonical(tc.code), tc.canon)
		}
	}
}

func FuzzDecodeInput(f *testing.F) {
	f.Add([]byte(webOnly))
	f.Add([]byte(`{"code":"abc","targets":{"wechat":{"appid":"wx1234567890abcdef","query":"a=%&b=中"}},"params":{"x":"y"}}`))
	f.Add([]byte(`{"targets":{"web":{"url":"http://[::1]:80/"}},"expires_at":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeInput(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("DecodeInput error %v is neither invalid nor malformed", err)
			}
			return
		}
		if err := in.normalize(); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Name == "" {
				t.Fatalf("normalize error %v has no field", err)
			}
			return
		}
		// A normalized input is a fixed point: normalizing again changes
		// nothing and still passes.
		again := in
		if err := again.normalize(); err != nil {
			t.Fatalf("normalize is not idempotent: %v", err)
		}
	})
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a?b=c#d", "javascript:alert(1)", "http://u:p@h/", "https://[::1]:8080/", "//x", "HTTPS://EXAMPLE.COM"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if err := checkURL("u", raw); err != nil {
			return
		}
		lower := strings.ToLower(raw)
		if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
			t.Fatalf("checkURL accepted %q, which is not http(s)", raw)
		}
		if strings.ContainsAny(raw, " \t\r\n<>\"") && strings.ContainsAny(raw, " \t\r\n") {
			t.Fatalf("checkURL accepted %q with white space", raw)
		}
	})
}
