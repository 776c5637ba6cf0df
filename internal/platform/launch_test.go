package platform

import (
	"net/url"
	"strings"
	"testing"
)

// awkwardQuery has every character that breaks naive encoding: separators
// inside values, a space, a plus, a percent sign, a fragment mark and
// Chinese text.
const awkwardQuery = "q=a b&x=1+1&pct=100%&expr=1=1&frag=#top&zh=中文&scene=AbC123"

func TestWeChatScheme(t *testing.T) {
	tests := []struct {
		name                   string
		appID, page, query, ev string
		want                   string
	}{
		{"plain", "wx1234567890abcdef", "pages/menu/index", "from=qr&scene=AbC123", "release",
			"weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=from%3Dqr%26scene%3DAbC123&env_version=release"},
		{"awkward query", "wx1234567890abcdef", "pages/menu/index", awkwardQuery, "trial",
			"weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=q%3Da%20b%26x%3D1%2B1%26pct%3D100%25%26expr%3D1%3D1%26frag%3D%23top%26zh%3D%E4%B8%AD%E6%96%87%26scene%3DAbC123&env_version=trial"},
		{"leading slash dropped", "wx1234567890abcdef", "/pages/menu/index", "scene=AbC123", "",
			"weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=scene%3DAbC123"},
		{"no query, no env", "wx1234567890abcdef", "pages/menu/index", "", "",
			"weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WeChatScheme(tt.appID, tt.page, tt.query, tt.ev); got != tt.want {
				t.Errorf("WeChatScheme(%q, %q, %q, %q) = %q, want %q", tt.appID, tt.page, tt.query, tt.ev, got, tt.want)
			}
		})
	}
}

// TestWeChatSchemeRoundTrip decodes the scheme as WeChat does: split the
// scheme's query, then decodeURIComponent the query parameter once.
func TestWeChatSchemeRoundTrip(t *testing.T) {
	for _, q := range []string{awkwardQuery, "scene=AbC123", "a=%E4%B8%AD&b=%2B"} {
		raw := rawParams(t, WeChatScheme("wx1234567890abcdef", "pages/menu/index", q, "release"))
		if got := decodeOnce(t, raw["query"]); got != q {
			t.Errorf("WeChat decodes query %q, want %q", got, q)
		}
		if got := decodeOnce(t, raw["path"]); got != "pages/menu/index" {
			t.Errorf("WeChat decodes path %q, want %q", got, "pages/menu/index")
		}
	}
}

func TestAlipayScheme(t *testing.T) {
	tests := []struct {
		name               string
		appID, page, query string
		want               string
	}{
		{"doc example", "2021001234567890", "pages/index/index", "key1=value1&key2=value2",
			"alipays://platformapi/startapp?appId=2021001234567890&page=pages/index/index&query=key1%3Dvalue1%26key2%3Dvalue2"},
		{"awkward query: pairs encoded, then the whole", "2021001234567890", "pages/index/index", awkwardQuery,
			"alipays://platformapi/startapp?appId=2021001234567890&page=pages/index/index&query=q%3Da%2520b%26x%3D1%252B1%26pct%3D100%2525%26expr%3D1%253D1%26frag%3D%2523top%26zh%3D%25E4%25B8%25AD%25E6%2596%2587%26scene%3DAbC123"},
		{"leading slash kept", "2021001234567890", "/pages/index/index", "scene=AbC123",
			"alipays://platformapi/startapp?appId=2021001234567890&page=/pages/index/index&query=scene%3DAbC123"},
		{"home page, no query", "2021001234567890", "", "",
			"alipays://platformapi/startapp?appId=2021001234567890"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AlipayScheme(tt.appID, tt.page, tt.query); got != tt.want {
				t.Errorf("AlipayScheme(%q, %q, %q) = %q, want %q", tt.appID, tt.page, tt.query, got, tt.want)
			}
		})
	}
}

// TestAlipayDSLinkDocExample reproduces the example in Alipay's scheme
// documentation (platforms.md §3.1) byte for byte.
func TestAlipayDSLinkDocExample(t *testing.T) {
	const want = "https://ds.alipay.com/?scheme=alipays%3A%2F%2Fplatformapi%2Fstartapp%3FappId%3D202100216xxxxxxx%26page%3Dpages%2Findex%2Findex%26query%3Dkey1%253Dvalue1%2526key2%253Dvalue2"
	if got := AlipayDSLink("202100216xxxxxxx", "pages/index/index", "key1=value1&key2=value2"); got != want {
		t.Errorf("AlipayDSLink(doc example) = %q, want %q", got, want)
	}
}

// TestAlipayRoundTrip decodes as Alipay does: take the query parameter from
// the scheme, decodeURIComponent it once, split it into pairs and decode
// each key and value. The ds.alipay.com page first decodes its scheme
// parameter, so that link is decoded twice in all.
func TestAlipayRoundTrip(t *testing.T) {
	for _, q := range []string{awkwardQuery, "scene=AbC123", "flag&a=&&b=%41"} {
		scheme := AlipayScheme("2021001234567890", "pages/index/index", q)
		if got := alipayQuery(t, scheme); got != q {
			t.Errorf("Alipay decodes query %q from %q, want %q", got, scheme, q)
		}
		ds := rawParams(t, AlipayDSLink("2021001234567890", "pages/index/index", q))
		inner := decodeOnce(t, ds["scheme"])
		if inner != scheme {
			t.Errorf("ds.alipay.com decodes scheme %q, want %q", inner, scheme)
		}
		if got := alipayQuery(t, inner); got != q {
			t.Errorf("Alipay decodes query %q via ds.alipay.com, want %q", got, q)
		}
	}
}

func alipayQuery(t *testing.T, scheme string) string {
	t.Helper()
	joined := decodeOnce(t, rawParams(t, scheme)["query"])
	segs := strings.Split(joined, "&")
	for i, seg := range segs {
		k, v, hasValue := strings.Cut(seg, "=")
		segs[i] = decodeOnce(t, k)
		if hasValue {
			segs[i] += "=" + decodeOnce(t, v)
		}
	}
	return strings.Join(segs, "&")
}

func TestBaiduScheme(t *testing.T) {
	tests := []struct {
		name                string
		appKey, page, query string
		want                string
	}{
		{"doc example", "4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c", "pages/index/index", "id=1",
			"baiduboxapp://swan/4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c/pages/index/index?id=1"},
		{"awkward query", "4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c", "/pages/index/index", awkwardQuery,
			"baiduboxapp://swan/4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c/pages/index/index?q=a%20b&x=1%2B1&pct=100%25&expr=1%3D1&frag=%23top&zh=%E4%B8%AD%E6%96%87&scene=AbC123"},
		{"no query", "4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c", "pages/index/index", "",
			"baiduboxapp://swan/4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c/pages/index/index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BaiduScheme(tt.appKey, tt.page, tt.query); got != tt.want {
				t.Errorf("BaiduScheme(%q, %q, %q) = %q, want %q", tt.appKey, tt.page, tt.query, got, tt.want)
			}
		})
	}
}

// TestBaiduRoundTrip parses the scheme as a URL and decodes each key and
// value of its query, as a standard query parser does.
func TestBaiduRoundTrip(t *testing.T) {
	u, err := url.Parse(BaiduScheme("4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c", "pages/index/index", awkwardQuery))
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "swan" || u.Path != "/4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c/pages/index/index" {
		t.Errorf("BaiduScheme host, path = %q, %q, want %q, %q", u.Host, u.Path, "swan", "/4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c/pages/index/index")
	}
	segs := strings.Split(u.RawQuery, "&")
	for i, seg := range segs {
		k, v, _ := strings.Cut(seg, "=")
		segs[i] = decodeOnce(t, k) + "=" + decodeOnce(t, v)
	}
	if got := strings.Join(segs, "&"); got != awkwardQuery {
		t.Errorf("Baidu decodes query %q, want %q", got, awkwardQuery)
	}
}

func TestPageQuerySchemes(t *testing.T) {
	tests := []struct {
		name  string
		build func(id, page, query string) string
		id    string
		want  string
	}{
		{"douyin", DouyinScheme, "tt1234567890abcdef",
			"sslocal://microapp?app_id=tt1234567890abcdef&start_page=pages%2Findex%2Findex%3Fid%3D1%26scene%3DAbC123&scene=0"},
		{"qq", QQLink, "1108291530",
			"https://m.q.qq.com/a/p/1108291530?s=pages%2Findex%2Findex%3Fid%3D1%26scene%3DAbC123"},
		{"kuaishou", KuaishouScheme, "ks123456789012345678",
			"kwai://miniapp?appId=ks123456789012345678&path=pages%2Findex%2Findex%3Fid%3D1%26scene%3DAbC123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.build(tt.id, "/pages/index/index", "id=1&scene=AbC123"); got != tt.want {
				t.Errorf("%s(%q, %q, %q) = %q, want %q", tt.name, tt.id, "/pages/index/index", "id=1&scene=AbC123", got, tt.want)
			}
		})
	}
}

// TestPageQueryRoundTrip decodes the page?query parameter once and splits it
// at the first "?", as the ByteDance, QQ and Kuaishou hosts do.
func TestPageQueryRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		param string
		build func(id, page, query string) string
	}{
		{"douyin", "start_page", DouyinScheme},
		{"qq", "s", QQLink},
		{"kuaishou", "path", KuaishouScheme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, q := range []string{awkwardQuery, ""} {
				got := decodeOnce(t, rawParams(t, tt.build("id", "pages/index/index", q))[tt.param])
				page, query, _ := strings.Cut(got, "?")
				if page != "pages/index/index" || query != q {
					t.Errorf("%s decodes %q into page %q and query %q, want %q and %q", tt.name, got, page, query, "pages/index/index", q)
				}
			}
		})
	}
}

// rawParams returns the still-encoded values of rawURL's query parameters.
// Every builder encodes "&" and "=" inside values, so splitting is exact.
func rawParams(t *testing.T, rawURL string) map[string]string {
	t.Helper()
	_, query, ok := strings.Cut(rawURL, "?")
	if !ok {
		t.Fatalf("%q has no query", rawURL)
	}
	params := make(map[string]string)
	for _, seg := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(seg, "=")
		if _, dup := params[k]; dup {
			t.Fatalf("%q repeats parameter %q", rawURL, k)
		}
		params[k] = v
	}
	return params
}

// decodeOnce is decodeURIComponent: url.PathUnescape decodes %XX and, unlike
// QueryUnescape, leaves "+" alone.
func decodeOnce(t *testing.T, s string) string {
	t.Helper()
	d, err := url.PathUnescape(s)
	if err != nil {
		t.Fatalf("decodeURIComponent(%q): %v", s, err)
	}
	return d
}

func TestBaiduReservedKey(t *testing.T) {
	tests := []struct {
		query   string
		want    string
		wantHit bool
	}{
		{"a=1&callback=x", "callback", true},
		{"_baiduboxapp", "_baiduboxapp", true},
		{"_naExtParams=1&upgrade=1", "_naExtParams", true},
		{"upgrade=", "upgrade", true},
		{"callbacks=1", "", false},
		{"a=callback", "", false},
		{"Callback=1", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, hit := BaiduReservedKey(tt.query)
		if got != tt.want || hit != tt.wantHit {
			t.Errorf("BaiduReservedKey(%q) = %q, %v, want %q, %v", tt.query, got, hit, tt.want, tt.wantHit)
		}
	}
}
