package routing

import (
	"time"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// Host is a row of the hosts table, or Web.
type Host uint8

// Form is how a target is opened.
type Form uint8

// The forms of a launch.
const (
	FormInApp      Form = iota // the host's own launch URL, followed from inside the host app
	FormBrowser                // the URL a phone browser should get (an https form where the host has one)
	FormURLLink                // WeChat's URL Link
	FormURL                    // a plain web URL: the web target or a fallback
	FormMade                   // a URL Link made with the tenant's app
	FormMadeScheme             // an encrypted scheme made with the tenant's app
)

// host is everything routing knows of one host app's mini programs.
type host struct {
	name string // option and stats name
	// apps are the host apps (bits of platform.App) whose scans a
	// redirect to this host's target opens directly.
	apps uint64
	// set reports whether t configures this host.
	set func(t *links.Targets) bool
	// direct reports whether a scan from inside the host app can be
	// redirected at now; nil means always.
	direct func(t *links.Targets, now time.Time) bool
	// url builds the launch URL in a form, query carrying the scene.
	url func(t *links.Targets, f Form, query string) string
	// mini is the target's mini program, page and own query.
	mini func(t *links.Targets) MiniTarget
}

func apps(as ...platform.App) uint64 {
	var bits uint64
	for _, a := range as {
		bits |= 1 << a
	}
	return bits
}

// hosts are the host apps with mini programs, in the order a page offers
// them: WeChat reaches the most people, then Alipay, then the others.
var hosts = [...]host{
	{
		name: "wechat", apps: apps(platform.WeChat),
		set: func(t *links.Targets) bool { return t.WeChat != nil },
		// WeChat's schemes are not meant to be followed from inside
		// WeChat; only a URL Link goes straight in.
		direct: func(t *links.Targets, now time.Time) bool { return t.WeChat.ActiveURLLink(now) != "" },
		url: func(t *links.Targets, f Form, q string) string {
			if f == FormURLLink {
				return t.WeChat.URLLink
			}
			w := t.WeChat
			return platform.WeChatScheme(w.AppID, w.Path, q, w.EnvVersion)
		},
		mini: func(t *links.Targets) MiniTarget { return MiniTarget{t.WeChat.AppID, t.WeChat.Path, t.WeChat.Query} },
	},
	{
		name: "alipay", apps: apps(platform.Alipay),
		set: func(t *links.Targets) bool { return t.Alipay != nil },
		url: func(t *links.Targets, f Form, q string) string {
			a := t.Alipay
			if f == FormBrowser {
				// Survives a phone without Alipay better than the scheme.
				return platform.AlipayDSLink(a.AppID, a.Page, q)
			}
			return platform.AlipayScheme(a.AppID, a.Page, q)
		},
		mini: func(t *links.Targets) MiniTarget { return MiniTarget{t.Alipay.AppID, t.Alipay.Page, t.Alipay.Query} },
	},
	{
		name: "douyin", apps: apps(platform.Douyin, platform.Toutiao),
		set: func(t *links.Targets) bool { return t.Douyin != nil },
		url: func(t *links.Targets, _ Form, q string) string {
			return platform.DouyinScheme(t.Douyin.AppID, t.Douyin.Path, q)
		},
		mini: func(t *links.Targets) MiniTarget { return miniOf(t.Douyin) },
	},
	{
		name: "baidu", apps: apps(platform.Baidu),
		set: func(t *links.Targets) bool { return t.Baidu != nil },
		url: func(t *links.Targets, _ Form, q string) string {
			return platform.BaiduScheme(t.Baidu.AppKey, t.Baidu.Path, q)
		},
		mini: func(t *links.Targets) MiniTarget { return MiniTarget{t.Baidu.AppKey, t.Baidu.Path, t.Baidu.Query} },
	},
	{
		name: "qq", apps: apps(platform.QQ),
		set: func(t *links.Targets) bool { return t.QQ != nil },
		url: func(t *links.Targets, _ Form, q string) string {
			return platform.QQLink(t.QQ.AppID, t.QQ.Path, q)
		},
		mini: func(t *links.Targets) MiniTarget { return miniOf(t.QQ) },
	},
	{
		name: "kuaishou", apps: apps(platform.Kuaishou),
		set: func(t *links.Targets) bool { return t.Kuaishou != nil },
		url: func(t *links.Targets, _ Form, q string) string {
			return platform.KuaishouScheme(t.Kuaishou.AppID, t.Kuaishou.Path, q)
		},
		mini: func(t *links.Targets) MiniTarget { return miniOf(t.Kuaishou) },
	},
}

// Web is the Host of the web page and of fallback URLs.
const Web = Host(len(hosts))

// Target is one way into the link: a host's target in a form, or a URL.
type Target struct {
	Host Host
	Form Form
	from *links.Targets // where the host's target is (the link's, a rule's or a variant's)
	url  string         // FormURL
}

// Name is the host's name ("wechat", "alipay", ...), or "web".
func (t Target) Name() string {
	if t.Host == Web {
		return "web"
	}
	return hosts[t.Host].name
}

// key is the target's host and form in keyBits bits, never 0.
func (t Target) key() uint64 { return uint64(t.Host+1) | uint64(t.Form)<<4 }

// keyBits is the width of a target's key.
const keyBits = 7

// Stored reports whether the target's URL is stored as it is (a web URL,
// a URL Link) rather than built for the scan.
func (t Target) Stored() bool {
	return t.Form == FormURL || t.Form == FormURLLink || t.Form == FormMade
}

// URL builds the target's URL for a scan of code in variant ("" for none):
// the launch query carries scene=<code> and, in a split, sg_v=<variant>.
func (t Target) URL(code, variant string) string {
	if t.Form == FormURL || t.Form == FormMade || t.Form == FormMadeScheme {
		return t.url
	}
	h := &hosts[t.Host]
	if t.Form == FormURLLink {
		return h.url(t.from, t.Form, "")
	}
	return h.url(t.from, t.Form, LaunchQuery(h.mini(t.from).Query, code, variant))
}

// LaunchQuery is the query a mini program is launched with: the target's
// query with scene=<code> and, for a variant, sg_v=<variant>.
func LaunchQuery(query, code, variant string) string { return links.LaunchQuery(query, code, variant) }

// HostFor is the row of the hosts table that serves app directly, if any.
func hostFor(app platform.App) (Host, bool) {
	for i := range hosts {
		if hosts[i].apps&(1<<app) != 0 {
			return Host(i), true
		}
	}
	return 0, false
}

// MiniTarget is a mini program page: the app, the page path and a query.
type MiniTarget struct {
	AppID, Path, Query string
}

func miniOf(t *links.MiniTarget) MiniTarget { return MiniTarget{t.AppID, t.Path, t.Query} }
