package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/platform"
)

// Real User-Agent strings (sources in internal/platform/testdata/useragents.tsv).
const (
	uaWeChatIOS     = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003133) NetType/WIFI Language/zh_CN"
	uaAlipayAndroid = "Mozilla/5.0 (Linux; U; Android 12; zh-CN; M2012K11AC Build/SKQ1.211006.001) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.2.43 Mobile Safari/537.36 UCBS/3.22.2.43_220223200704 ChannelId(1) NebulaSDK/1.8.100112 Nebula AlipayDefined(nt:WIFI,ws:393|0|2.75) AliApp(AP/10.2.60.6000) AlipayClient/10.2.60.6000 Language/zh-Hans useStatusBar/true isConcaveScreen/true Region/CN"
	uaBaiduIOS      = "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 SP-engine/2.40.0 main%2F1.0 baiduboxapp/13.5.0.10 (Baidu; P2 15.0) NABar/1.0"
	uaDouyin        = "Mozilla/5.0 (Linux; Android 10; HD1900 Build/QKQ1.190716.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/75.0.3770.156 Mobile Safari/537.36 aweme_230400 JsSdk/1.0 NetType/WIFI Channel/huawei_1 AppName/aweme app_version/23.4.0 ByteLocale/zh-Hans-CN Region/CN AppSkin/white AppTheme/light BytedanceWebview/d8a21c6 WebView/075113004008"
	uaQQIOS         = "Mozilla/5.0 (iPhone; CPU iPhone OS 14_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 QQ/8.8.5.625 V1_IPH_SQ_8.8.5_1_APP_A Pixel/1170 MiniAppEnable SimpleUISwitch/0 StudyMode/0 QQTheme/1000 Core/WKWebView Device/Apple(iPhone 12) NetType/WIFI QBWebViewType/1 WKType/1"
	uaKuaishou      = "Mozilla/5.0 (Linux; Android 11; V2055A Build/RP1A.200720.012; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/87.0.4280.141 Mobile Safari/537.36 Kwai/10.5.20.2574"
	uaSafariIOS     = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaChromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	uaFacebookBot   = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
)

const multiTargets = `"targets":{
	"wechat":{"appid":"wx1234567890abcdef","path":"pages/menu/index","query":"from=qr"},
	"alipay":{"appid":"2021001234567890","page":"pages/menu/index","query":"from=qr&t=12"},
	"baidu":{"appkey":"4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c","path":"pages/menu/index","query":"from=qr"},
	"douyin":{"appid":"tt1234567890abcdef","path":"pages/menu/index","query":"from=qr"},
	"qq":{"appid":"1112345678","path":"pages/menu/index","query":"from=qr"},
	"kuaishou":{"appid":"ks123456789012345678","path":"pages/menu/index","query":"from=qr"},
	"web":{"url":"https://m.example.com/menu"}}`

func TestScanRoutesByHostApp(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"code":"multi1","title":"Table <b>12</b>",` + multiTargets + `}`,
		`{"code":"wxlink1","targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/AbCdEf"},"web":{"url":"https://m.example.com/"}}}`,
		`{"code":"webonly1","targets":{"web":{"url":"https://m.example.com/only"}}}`,
		`{"code":"alipay1","targets":{"alipay":{"appid":"2021001234567890"}}}`,
	} {
		if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	for _, tc := range []struct {
		name, ua, code string
		status         int
		location       string
		page           string // a fragment the page must contain
	}{
		{"alipay app redirects to its scheme", uaAlipayAndroid, "multi1", 302,
			platform.AlipayScheme("2021001234567890", "pages/menu/index", "from=qr&t=12&scene=multi1"), ""},
		{"baidu app", uaBaiduIOS, "multi1", 302,
			platform.BaiduScheme("4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c", "pages/menu/index", "from=qr&scene=multi1"), ""},
		{"douyin app", uaDouyin, "multi1", 302,
			platform.DouyinScheme("tt1234567890abcdef", "pages/menu/index", "from=qr&scene=multi1"), ""},
		{"qq app", uaQQIOS, "multi1", 302,
			platform.QQLink("1112345678", "pages/menu/index", "from=qr&scene=multi1"), ""},
		{"kuaishou app", uaKuaishou, "multi1", 302,
			platform.KuaishouScheme("ks123456789012345678", "pages/menu/index", "from=qr&scene=multi1"), ""},
		{"wechat with URL Link", uaWeChatIOS, "wxlink1", 302, "https://wxaurl.cn/AbCdEf", ""},
		{"wechat without URL Link gets the long-press page", uaWeChatIOS, "multi1", 200, "", `src="data:image/png;base64,`},
		{"wechat page offers the web page", uaWeChatIOS, "multi1", 200, "", `href="https://m.example.com/menu"`},
		{"phone browser gets the landing page", uaSafariIOS, "multi1", 200, "", `id="best" href="weixin://dl/business/`},
		{"landing offers alipay via ds.alipay.com", uaSafariIOS, "multi1", 200, "", `href="https://ds.alipay.com/?scheme=alipays%3A%2F%2F`},
		{"landing escapes the title", uaSafariIOS, "multi1", 200, "", `Table &lt;b&gt;12&lt;/b&gt;`},
		{"desktop gets the code to scan", uaChromeWindows, "multi1", 200, "", `<svg`},
		{"desktop offers the web page", uaChromeWindows, "multi1", 200, "", `href="https://m.example.com/menu"`},
		{"previewer gets a preview page", uaFacebookBot, "multi1", 200, "", `<meta property="og:title" content="Table &lt;b&gt;12&lt;/b&gt;">`},
		{"web-only link redirects any client", uaWeChatIOS, "webonly1", 302, "https://m.example.com/only", ""},
		{"web-only link redirects previewers too", uaFacebookBot, "webonly1", 302, "https://m.example.com/only", ""},
		{"alipay-only link in WeChat: landing page with the escape hint", uaWeChatIOS, "alipay1", 200, "", `class="hint"`},
		{"alipay-only link in a browser: landing page", uaSafariIOS, "alipay1", 200, "", `id="best" href="https://ds.alipay.com/`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := e.do("GET", "/s/"+tc.code, "", "", "", "User-Agent", tc.ua)
			if rec.Code != tc.status || rec.Header().Get("Location") != tc.location {
				t.Fatalf("GET /s/%s as %.40q = %d Location %q, want %d %q", tc.code, tc.ua, rec.Code, rec.Header().Get("Location"), tc.status, tc.location)
			}
			if tc.status == 302 && rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", rec.Header().Get("Cache-Control"))
			}
			if tc.page != "" && !strings.Contains(rec.Body.String(), tc.page) {
				t.Errorf("page lacks %q:\n%s", tc.page, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "<b>12</b>") || strings.Contains(rec.Body.String(), "ZgotmplZ") {
				t.Errorf("page has unescaped tenant text or a refused URL:\n%s", rec.Body)
			}
		})
	}
}

func TestScanLimitIgnoresBotsAndCountsPeople(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"limit2","max_scans":2,"fallback_url":"https://www.example.com/over",`+multiTargets+`}`)
	scan := func(ua string) string {
		rec := e.do("GET", "/s/limit2", "", "", "", "User-Agent", ua)
		return rec.Header().Get("Location")
	}
	for i := 0; i < 5; i++ {
		if loc := scan(uaFacebookBot); loc != "" {
			t.Fatalf("previewer %d was redirected to %q", i, loc)
		}
	}
	for i := 0; i < 2; i++ {
		if loc := scan(uaAlipayAndroid); !strings.HasPrefix(loc, "alipays://") {
			t.Fatalf("scan %d within the limit went to %q", i+1, loc)
		}
	}
	if loc := scan(uaAlipayAndroid); loc != "https://www.example.com/over" {
		t.Fatalf("scan 3 over max_scans=2 went to %q, want the fallback", loc)
	}
}

func TestLandingPageChineseWhenAsked(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"zh1",`+multiTargets+`}`)
	rec := e.do("GET", "/s/zh1", "", "", "", "User-Agent", uaSafariIOS, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
	if body := rec.Body.String(); !strings.Contains(body, `lang="zh-CN"`) || !strings.Contains(body, "在微信中打开") {
		t.Fatalf("landing for a Chinese phone:\n%s", body)
	}
}

func TestCachedPagesFollowEdits(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"edit1","title":"Before",`+multiTargets+`}`)
	for _, ua := range []string{uaSafariIOS, uaWeChatIOS, uaChromeWindows, uaFacebookBot} {
		if body := e.do("GET", "/s/edit1", "", "", "", "User-Agent", ua).Body.String(); !strings.Contains(body, "Before") {
			t.Fatalf("page for %.30q lacks the title", ua)
		}
	}
	e.json("PATCH", "/api/v1/links/edit1", e.admin, `{"title":"After","targets":{"alipay":null}}`)
	for _, ua := range []string{uaSafariIOS, uaWeChatIOS, uaChromeWindows, uaFacebookBot} {
		body := e.do("GET", "/s/edit1", "", "", "", "User-Agent", ua).Body.String()
		if !strings.Contains(body, "After") || strings.Contains(body, "Before") || strings.Contains(body, "ds.alipay.com") {
			t.Fatalf("page for %.30q after the edit still shows the old link:\n%s", ua, body)
		}
	}
}

func TestExpiredURLLinkFallsBackToTheWeChatPage(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, `{"code":"wxexp1","targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/AbCdEf","url_link_expires_at":"2099-01-01T00:00:00Z"}}}`)
	if rec := e.do("GET", "/s/wxexp1", "", "", "", "User-Agent", uaWeChatIOS); rec.Code != 302 || rec.Header().Get("Location") != "https://wxaurl.cn/AbCdEf" {
		t.Fatalf("before expiry = %d %q, want 302 to the URL Link", rec.Code, rec.Header().Get("Location"))
	}
	e.srv.now = func() time.Time { return time.Date(2099, 1, 2, 0, 0, 0, 0, time.UTC) }
	rec := e.do("GET", "/s/wxexp1", "", "", "", "User-Agent", uaWeChatIOS)
	if rec.Code != 200 || strings.Contains(rec.Body.String(), "wxaurl.cn") || !strings.Contains(rec.Body.String(), `src="data:image/png;base64,`) {
		t.Fatalf("after expiry = %d, want the WeChat page with the code to long-press and no dead URL Link:\n%s", rec.Code, rec.Body)
	}
}
