package httpapi

import (
	"time"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// directLaunch is the URL that opens the link's mini program inside the host
// app the scan came from, when that app can be sent there with a plain
// redirect (api.md, "Scanning"). WeChat only qualifies with a stored URL
// Link: its schemes are not meant to be followed from inside WeChat.
func directLaunch(app platform.App, l *links.Link, now time.Time) (string, bool) {
	t := &l.Targets
	switch app {
	case platform.Alipay:
		if t.Alipay != nil {
			return platform.AlipayScheme(t.Alipay.AppID, t.Alipay.Page, platform.WithScene(t.Alipay.Query, l.Code)), true
		}
	case platform.Baidu:
		if t.Baidu != nil {
			return platform.BaiduScheme(t.Baidu.AppKey, t.Baidu.Path, platform.WithScene(t.Baidu.Query, l.Code)), true
		}
	case platform.Douyin, platform.Toutiao:
		if t.Douyin != nil {
			return platform.DouyinScheme(t.Douyin.AppID, t.Douyin.Path, platform.WithScene(t.Douyin.Query, l.Code)), true
		}
	case platform.QQ:
		if t.QQ != nil {
			return platform.QQLink(t.QQ.AppID, t.QQ.Path, platform.WithScene(t.QQ.Query, l.Code)), true
		}
	case platform.Kuaishou:
		if t.Kuaishou != nil {
			return platform.KuaishouScheme(t.Kuaishou.AppID, t.Kuaishou.Path, platform.WithScene(t.Kuaishou.Query, l.Code)), true
		}
	case platform.WeChat:
		if u := t.WeChat.ActiveURLLink(now); u != "" {
			return u, true
		}
	}
	return "", false
}

// option is one way out of a landing page.
type option struct {
	Host string // "wechat", "alipay", ..., "web"
	URL  string
}

// launchOptions lists every configured way into the link from an ordinary
// phone browser, best first: WeChat reaches the most people, then Alipay,
// then the others; the web page comes last. Browsers get the https forms
// where one exists (WeChat's URL Link, Alipay's ds.alipay.com page), since
// they survive a missing app better than a bare scheme.
func launchOptions(l *links.Link, now time.Time) []option {
	t := &l.Targets
	var out []option
	if w := t.WeChat; w != nil {
		if u := w.ActiveURLLink(now); u != "" {
			out = append(out, option{"wechat", u})
		} else {
			out = append(out, option{"wechat", platform.WeChatScheme(w.AppID, w.Path, platform.WithScene(w.Query, l.Code), w.EnvVersion)})
		}
	}
	if a := t.Alipay; a != nil {
		out = append(out, option{"alipay", platform.AlipayDSLink(a.AppID, a.Page, platform.WithScene(a.Query, l.Code))})
	}
	for _, app := range []platform.App{platform.Douyin, platform.Baidu, platform.QQ, platform.Kuaishou} {
		if u, ok := directLaunch(app, l, now); ok {
			out = append(out, option{app.String(), u})
		}
	}
	if t.Web != nil {
		out = append(out, option{"web", t.Web.URL})
	}
	return out
}
