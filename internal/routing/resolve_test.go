package routing

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scangate/scangate/internal/geo"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// now is a Tuesday, 09:00 in Shanghai.
var now = time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC)

const code = "Tab01"

// link builds a validated link from JSON, as the API would store it.
func link(tb testing.TB, body string) *links.Link {
	tb.Helper()
	in, err := links.DecodeInput([]byte(body))
	if err != nil {
		tb.Fatalf("DecodeInput(%s): %v", body, err)
	}
	in.Code = code
	l, err := in.Preview("acme", now.Add(-time.Hour))
	if err != nil {
		tb.Fatalf("Preview(%s): %v", body, err)
	}
	return l
}

// Targets used by the links below.
const (
	wechatT = `"wechat":{"appid":"wx1234567890abcdef","path":"pages/menu/index","query":"t=1"}`
	alipayT = `"alipay":{"appid":"2021001234567890","page":"pages/menu/index"}`
	douyinT = `"douyin":{"appid":"tt1234567890abcdef","path":"pages/menu/index"}`
	baiduT  = `"baidu":{"appkey":"4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c","path":"pages/menu/index"}`
	qqT     = `"qq":{"appid":"1112223334","path":"pages/menu/index"}`
	ksT     = `"kuaishou":{"appid":"ks123456789012345678","path":"pages/menu/index"}`
	webT    = `"web":{"url":"https://m.example.com/menu"}`
	allT    = wechatT + "," + alipayT + "," + douyinT + "," + baiduT + "," + qqT + "," + ksT + "," + webT
)

// Clients.
var (
	browserPhone = platform.Client{App: platform.Browser, OS: platform.Android, Mobile: true}
	iphone       = platform.Client{App: platform.Browser, OS: platform.IOS, Mobile: true}
	desktop      = platform.Client{App: platform.Browser, OS: platform.Windows}
	inWeChat     = platform.Client{App: platform.WeChat, OS: platform.Android, Mobile: true}
	inAlipay     = platform.Client{App: platform.Alipay, OS: platform.Android, Mobile: true}
	inDouyin     = platform.Client{App: platform.Douyin, OS: platform.IOS, Mobile: true}
	inToutiao    = platform.Client{App: platform.Toutiao, OS: platform.Android, Mobile: true}
	inBaidu      = platform.Client{App: platform.Baidu, OS: platform.Android, Mobile: true}
	inQQ         = platform.Client{App: platform.QQ, OS: platform.Android, Mobile: true}
	inKuaishou   = platform.Client{App: platform.Kuaishou, OS: platform.Android, Mobile: true}
	inWeibo      = platform.Client{App: platform.Weibo, OS: platform.Android, Mobile: true}
	webView      = platform.Client{App: platform.WeChat, OS: platform.Android, Mobile: true, MiniProgramWebView: true}
	bot          = platform.Client{Bot: true}
)

var (
	shanghai  = geo.Location{Country: "CN", Region: "Shanghai", RegionZH: "上海", City: "Shanghai", CityZH: "上海"}
	guangzhou = geo.Location{Country: "CN", Region: "Guangdong", RegionZH: "广东", City: "Guangzhou", CityZH: "广州"}
)

// outcome is what a user of the decision would notice.
type outcome struct {
	Kind     string
	URL      string   `json:",omitempty"`
	Options  []string `json:",omitempty"` // name of each option; "first" is the first one's URL
	First    string   `json:",omitempty"`
	Auto     bool     `json:",omitempty"`
	Hint     bool     `json:",omitempty"`
	Rule     string   `json:",omitempty"`
	Variant  string   `json:",omitempty"`
	Count    bool     `json:",omitempty"`
	Check    Limits   `json:",omitempty"`
	Inactive string   `json:",omitempty"`
}

func outcomeOf(d Decision) outcome {
	o := outcome{Kind: d.Kind.String(), Auto: d.AutoLaunch, Hint: d.InAppHint, Rule: d.Rule,
		Variant: d.Variant, Count: d.Count, Check: d.Check, Inactive: string(d.State)}
	if d.Kind == Redirect {
		o.URL = d.Redirect.URL(code, d.Variant)
	}
	for i, t := range d.Options() {
		o.Options = append(o.Options, t.Name())
		if i == 0 {
			o.First = t.URL(code, d.Variant)
		}
	}
	return o
}

func TestResolve(t *testing.T) {
	inWindowAt := func(hhmm string) time.Time { // today in Shanghai
		tm, _ := time.ParseInLocation("2006-01-02 15:04", "2026-12-01 "+hhmm, shanghaiZone(t))
		return tm
	}
	exhausted := `{"max_scans":5,"fallback_url":"https://m.example.com/sold-out","targets":{` + alipayT + `}}`
	ruled := `{"targets":{` + allT + `},"rules":[
		{"name":"breakfast","when":{"time":{"tz":"Asia/Shanghai","from":"06:00","to":"10:30"}},"targets":{"alipay":{"appid":"2021001234567890","page":"pages/breakfast/index"},"web":{"url":"https://m.example.com/breakfast"}}},
		{"name":"shanghai","when":{"city":["上海"]},"targets":{"web":{"url":"https://m.example.com/sh"},"wechat":{"appid":"wx1234567890abcdef","path":"pages/sh/index"}}},
		{"name":"closed","when":{"time":{"days":["sun"]}},"fallback_url":"https://m.example.com/closed"}]}`
	for _, tc := range []struct {
		name string
		link string // JSON; "" for no such link
		req  Request
		want outcome
	}{
		// README "What a scan does", row by row.
		{"alipay scan opens the mini program", `{"targets":{` + alipayT + "," + webT + `}}`, Request{Client: inAlipay},
			outcome{Kind: "redirect", URL: "alipays://platformapi/startapp?appId=2021001234567890&page=pages/menu/index&query=scene%3DTab01", Count: true}},
		{"douyin scan", `{"targets":{` + douyinT + `}}`, Request{Client: inDouyin},
			outcome{Kind: "redirect", URL: "sslocal://microapp?app_id=tt1234567890abcdef&start_page=pages%2Fmenu%2Findex%3Fscene%3DTab01&scene=0", Count: true}},
		{"toutiao opens douyin targets", `{"targets":{` + douyinT + `}}`, Request{Client: inToutiao},
			outcome{Kind: "redirect", URL: "sslocal://microapp?app_id=tt1234567890abcdef&start_page=pages%2Fmenu%2Findex%3Fscene%3DTab01&scene=0", Count: true}},
		{"baidu scan", `{"targets":{` + baiduT + `}}`, Request{Client: inBaidu},
			outcome{Kind: "redirect", URL: "baiduboxapp://swan/4fecoAqgCIUtzIyA4FAPgoyrc4oUc25c/pages/menu/index?scene=Tab01", Count: true}},
		{"qq scan", `{"targets":{` + qqT + `}}`, Request{Client: inQQ},
			outcome{Kind: "redirect", URL: "https://m.q.qq.com/a/p/1112223334?s=pages%2Fmenu%2Findex%3Fscene%3DTab01", Count: true}},
		{"kuaishou scan", `{"targets":{` + ksT + `}}`, Request{Client: inKuaishou},
			outcome{Kind: "redirect", URL: "kwai://miniapp?appId=ks123456789012345678&path=pages%2Fmenu%2Findex%3Fscene%3DTab01", Count: true}},
		{"wechat with a live URL Link goes straight in", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/AbCdEf","url_link_expires_at":"2027-01-01T00:00:00Z"}}}`, Request{Client: inWeChat},
			outcome{Kind: "redirect", URL: "https://wxaurl.cn/AbCdEf", Count: true}},
		{"wechat with an expired URL Link gets the long-press page", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/AbCdEf","url_link_expires_at":"2026-11-30T00:00:00Z"},` + webT + `}}`, Request{Client: inWeChat},
			outcome{Kind: "wechat", Options: []string{"web"}, First: "https://m.example.com/menu", Count: true}},
		{"wechat page offers only what works inside WeChat", `{"targets":{` + allT + `}}`, Request{Client: inWeChat},
			outcome{Kind: "wechat", Options: []string{"web"}, First: "https://m.example.com/menu", Count: true}},
		{"wechat without a wechat target: the web page and how to leave", `{"targets":{` + alipayT + "," + webT + `}}`, Request{Client: inWeChat},
			outcome{Kind: "landing", Options: []string{"web"}, First: "https://m.example.com/menu", Hint: true, Count: true}},
		{"phone browser: landing page tries the best launch", `{"targets":{` + allT + `}}`, Request{Client: browserPhone},
			outcome{Kind: "landing", Options: []string{"wechat", "alipay", "douyin", "baidu", "qq", "kuaishou", "web"},
				First: "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=t%3D1%26scene%3DTab01", Auto: true, Count: true}},
		{"phone browser gets Alipay's https form", `{"targets":{` + alipayT + `}}`, Request{Client: iphone},
			outcome{Kind: "landing", Options: []string{"alipay"}, First: "https://ds.alipay.com/?scheme=alipays%3A%2F%2Fplatformapi%2Fstartapp%3FappId%3D2021001234567890%26page%3Dpages%2Fmenu%2Findex%26query%3Dscene%253DTab01", Auto: true, Count: true}},
		{"phone browser with a live URL Link offers it", `{"targets":{"wechat":{"appid":"wx1234567890abcdef","url_link":"https://wxaurl.cn/AbCdEf"}}}`, Request{Client: browserPhone},
			outcome{Kind: "landing", Options: []string{"wechat"}, First: "https://wxaurl.cn/AbCdEf", Auto: true, Count: true}},
		{"douyin without a douyin target shows the choice, no jump", `{"targets":{` + wechatT + "," + webT + `}}`, Request{Client: inDouyin},
			outcome{Kind: "landing", Options: []string{"wechat", "web"}, First: "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=t%3D1%26scene%3DTab01", Hint: true, Count: true}},
		{"baidu without a baidu target shows the choice", `{"targets":{` + wechatT + `}}`, Request{Client: inBaidu},
			outcome{Kind: "landing", Options: []string{"wechat"}, First: "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=t%3D1%26scene%3DTab01", Hint: true, Count: true}},
		{"qq without a qq target shows the choice", `{"targets":{` + alipayT + `}}`, Request{Client: inQQ},
			outcome{Kind: "landing", Options: []string{"alipay"}, First: "https://ds.alipay.com/?scheme=alipays%3A%2F%2Fplatformapi%2Fstartapp%3FappId%3D2021001234567890%26page%3Dpages%2Fmenu%2Findex%26query%3Dscene%253DTab01", Hint: true, Count: true}},
		{"weibo is an in-app browser", `{"targets":{` + wechatT + `}}`, Request{Client: inWeibo},
			outcome{Kind: "landing", Options: []string{"wechat"}, First: "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=t%3D1%26scene%3DTab01", Hint: true, Count: true}},
		{"desktop: code to scan and every way in", `{"targets":{` + wechatT + "," + webT + `}}`, Request{Client: desktop},
			outcome{Kind: "desktop", Options: []string{"wechat", "web"}, First: "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=t%3D1%26scene%3DTab01", Count: true}},
		{"web-only link redirects everyone", `{"targets":{` + webT + `}}`, Request{Client: inWeChat},
			outcome{Kind: "redirect", URL: "https://m.example.com/menu", Count: true}},
		{"web-only link on a desktop", `{"targets":{` + webT + `}}`, Request{Client: desktop},
			outcome{Kind: "redirect", URL: "https://m.example.com/menu", Count: true}},
		{"inside a mini program web-view the web page is the way on", `{"targets":{` + wechatT + "," + webT + `}}`, Request{Client: webView},
			outcome{Kind: "redirect", URL: "https://m.example.com/menu", Count: true}},
		{"crawler gets the preview, uncounted", `{"targets":{` + wechatT + `}}`, Request{Client: bot},
			outcome{Kind: "preview"}},
		{"crawler of a web-only link follows it, uncounted", `{"targets":{` + webT + `}}`, Request{Client: bot},
			outcome{Kind: "redirect", URL: "https://m.example.com/menu"}},
		{"paused with fallback", `{"status":"paused","fallback_url":"https://m.example.com/closed","targets":{` + alipayT + `}}`, Request{Client: inAlipay},
			outcome{Kind: "redirect", URL: "https://m.example.com/closed", Inactive: "paused"}},
		{"paused without fallback", `{"status":"paused","targets":{` + alipayT + `}}`, Request{Client: inAlipay},
			outcome{Kind: "gone", Inactive: "paused"}},
		{"not started", `{"starts_at":"2027-01-01T00:00:00Z","targets":{` + alipayT + `}}`, Request{Client: inAlipay},
			outcome{Kind: "gone", Inactive: "scheduled"}},
		{"expired", `{"expires_at":"2026-12-01T00:30:00Z","targets":{` + alipayT + `}}`, Request{Client: inAlipay},
			outcome{Kind: "gone", Inactive: "expired"}},
		{"unknown code", "", Request{Client: inAlipay}, outcome{Kind: "not_found"}},

		// Limits: the caller checks, then resolves again with Over.
		{"limited link asks for the check", exhausted, Request{Client: inAlipay},
			outcome{Kind: "redirect", URL: "alipays://platformapi/startapp?appId=2021001234567890&page=pages/menu/index&query=scene%3DTab01", Count: true, Check: LimitScans}},
		{"used up: fallback", exhausted, Request{Client: inAlipay, Over: LimitScans},
			outcome{Kind: "redirect", URL: "https://m.example.com/sold-out", Inactive: "exhausted"}},
		{"HEAD of a used-up link answers as GET does", exhausted, Request{Client: inAlipay, Head: true, Over: LimitScans},
			outcome{Kind: "redirect", URL: "https://m.example.com/sold-out", Inactive: "exhausted"}},
		{"HEAD is checked but not counted", exhausted, Request{Client: inAlipay, Head: true},
			outcome{Kind: "redirect", URL: "alipays://platformapi/startapp?appId=2021001234567890&page=pages/menu/index&query=scene%3DTab01", Check: LimitScans}},
		{"used up without fallback: 410", `{"max_scans":1,"targets":{` + alipayT + `}}`, Request{Client: inAlipay, Over: LimitScans},
			outcome{Kind: "gone", Inactive: "exhausted"}},
		{"per-visitor limit reached: fallback", `{"max_scans_per_visitor":{"count":1,"per":"day"},"fallback_url":"https://m.example.com/used","targets":{` + alipayT + `}}`, Request{Client: inAlipay, Over: LimitVisitor},
			outcome{Kind: "redirect", URL: "https://m.example.com/used", Inactive: "exhausted"}},
		{"per-visitor limit asks for its check", `{"max_scans_per_visitor":{"count":1,"per":"day"},"targets":{` + alipayT + `}}`, Request{Client: inAlipay},
			outcome{Kind: "redirect", URL: "alipays://platformapi/startapp?appId=2021001234567890&page=pages/menu/index&query=scene%3DTab01", Count: true, Check: LimitVisitor}},

		// Rules.
		{"breakfast rule overrides alipay", ruled, Request{Client: inAlipay, Time: inWindowAt("08:00")},
			outcome{Kind: "redirect", URL: "alipays://platformapi/startapp?appId=2021001234567890&page=pages/breakfast/index&query=scene%3DTab01", Rule: "breakfast", Count: true}},
		{"breakfast rule: other hosts fall through to the link", ruled, Request{Client: inDouyin, Time: inWindowAt("08:00")},
			outcome{Kind: "redirect", URL: "sslocal://microapp?app_id=tt1234567890abcdef&start_page=pages%2Fmenu%2Findex%3Fscene%3DTab01&scene=0", Rule: "breakfast", Count: true}},
		{"breakfast ends at 10:30", ruled, Request{Client: inAlipay, Time: inWindowAt("10:30")},
			outcome{Kind: "redirect", URL: "alipays://platformapi/startapp?appId=2021001234567890&page=pages/menu/index&query=scene%3DTab01", Count: true}},
		{"shanghai rule by Chinese city name", ruled, Request{Client: inWeChat, Time: inWindowAt("12:00"), Geo: shanghai},
			outcome{Kind: "wechat", Options: []string{"web"}, First: "https://m.example.com/sh", Rule: "shanghai", Count: true}},
		{"shanghai rule does not hold in Guangzhou", ruled, Request{Client: browserPhone, Time: inWindowAt("12:00"), Geo: guangzhou},
			outcome{Kind: "landing", Options: []string{"wechat", "alipay", "douyin", "baidu", "qq", "kuaishou", "web"},
				First: "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=t%3D1%26scene%3DTab01", Auto: true, Count: true}},
		{"first match wins: breakfast in Shanghai", ruled, Request{Client: desktop, Time: inWindowAt("07:00"), Geo: shanghai},
			outcome{Kind: "desktop", Options: []string{"wechat", "alipay", "douyin", "baidu", "qq", "kuaishou", "web"},
				First: "weixin://dl/business/?appid=wx1234567890abcdef&path=pages/menu/index&query=t%3D1%26scene%3DTab01", Rule: "breakfast", Count: true}},
		{"a rule without targets redirects to its fallback", ruled, Request{Client: inAlipay, Time: time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)},
			outcome{Kind: "redirect", URL: "https://m.example.com/closed", Rule: "closed", Count: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l *links.Link
			if tc.link != "" {
				l = link(t, tc.link)
			}
			if tc.req.Time.IsZero() {
				tc.req.Time = now
			}
			got := outcomeOf(Resolve(l, tc.req))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Resolve(%s) mismatch (-want +got):\n%s", show(tc.req), diff)
			}
		})
	}
}

func show(r Request) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func shanghaiZone(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}
