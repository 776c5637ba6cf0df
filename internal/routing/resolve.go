package routing

import (
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// inAppBrowsers are host apps whose web views rarely let a page open
// another app; their users are told how to leave for a real browser.
var inAppBrowsers = apps(platform.WeChat, platform.WeCom, platform.QQ, platform.DingTalk,
	platform.Taobao, platform.Alipay, platform.Baidu, platform.Douyin, platform.Toutiao,
	platform.TikTok, platform.Kuaishou, platform.Feishu, platform.Weibo, platform.OtherApp)

// Resolve decides the answer to one scan of l (nil: no such link). It is
// pure and allocates nothing. A link that could not be read is not a
// decision but an error, which the caller answers with 503.
func Resolve(l *links.Link, r Request) Decision {
	var d Decision
	if l == nil {
		d.Kind = NotFound
		return d
	}
	if st := l.StateAt(r.Time, 0); st != links.StateLive {
		inactive(&d, l.FallbackURL, st)
		return d
	}
	base := &l.Targets
	if r.Client.Bot {
		// Previewers and crawlers are answered but never counted: a
		// shared link must not inflate a campaign or use up its limits.
		if base.OnlyWeb() {
			d.redirect(Target{Host: Web, Form: FormURL, url: base.Web.URL})
		} else {
			d.Kind = PreviewPage
		}
		return d
	}
	v := view{base: base}
	fallback := l.FallbackURL
	rule := matchRule(l.Rules, &r)
	if rule != nil {
		d.Rule, v.over = rule.Name, &rule.Targets
		if rule.FallbackURL != "" {
			fallback = rule.FallbackURL
		}
	} else if l.Split != nil {
		if variant := pick(l.Split, r.Bucket); variant != nil {
			d.Variant, v.over = variant.Name, &variant.Targets
		}
	}
	d.Count = !r.Head
	if rule != nil && rule.Targets.Empty() {
		// A rule that only redirects (closed hours, another country)
		// serves no offer: it uses up no limit.
		d.redirect(Target{Host: Web, Form: FormURL, url: rule.FallbackURL})
		return d
	}
	if l.MaxScans > 0 {
		d.Check |= LimitScans
	}
	if l.MaxScansPerVisitor != nil {
		d.Check |= LimitVisitor
	}
	if r.Over&d.Check != 0 {
		d.Count, d.Check = false, 0
		inactive(&d, fallback, links.StateExhausted)
		return d
	}
	d.view = v
	answer(&d, l, v, &r)
	return d
}

// inactive answers a scan that the link does not take: the fallback URL,
// else a 410 page.
func inactive(d *Decision, fallback string, st links.State) {
	d.State = st
	if fallback != "" {
		d.redirect(Target{Host: Web, Form: FormURL, url: fallback})
		return
	}
	d.Kind = Gone
}

func (d *Decision) redirect(t Target) {
	d.Kind, d.Redirect = Redirect, t
}

// answer picks the answer for the client among the effective targets v.
func answer(d *Decision, l *links.Link, v view, r *Request) {
	web := v.web()
	if web != nil && (v.onlyWeb() || r.Client.MiniProgramWebView) {
		// Inside a mini program's web-view the visitor is already in a
		// mini program: the web page is the way on.
		d.redirect(Target{Host: Web, Form: FormURL, url: web.URL})
		return
	}
	app := r.Client.App
	if h, ok := hostFor(app); ok {
		t := v.pick(h)
		if u := d.made(l, v, t, h, links.KindURLLink, r); u != "" {
			// A URL Link made with the tenant's app opens the mini program
			// straight from a scan in its host app.
			d.redirect(Target{Host: h, Form: FormMade, url: u})
			return
		}
		if t != nil && (hosts[h].direct == nil || hosts[h].direct(t, r.Time)) {
			form := FormInApp
			if h == hostWeChat {
				form = FormURLLink
			}
			d.redirect(Target{Host: h, Form: form, from: t})
			return
		}
	}
	switch {
	case app == platform.WeChat && v.pick(hostWeChat) != nil:
		// The code to long-press opens the mini program; nothing else
		// on the page can leave WeChat, except the web page.
		d.Kind = WeChatPage
		d.addWeb(web)
	case app == platform.WeChat && r.Client.Mobile:
		// WeChat lets a page open neither other apps nor WeChat's own
		// schemes: offer the web page and how to reach a browser.
		d.Kind, d.InAppHint = LandingPage, true
		d.addWeb(web)
	case r.Client.Mobile:
		d.Kind = LandingPage
		d.addAll(l, v, r)
		d.InAppHint = inAppBrowsers&(1<<app) != 0
		// Only a real browser may jump into an app unasked: inside
		// another host app the visitor chooses.
		d.AutoLaunch = app == platform.Browser && d.nOptions > 0 && d.options[0].Host != Web
	default:
		// Desktops, and iPads whose Safari sends a desktop User-Agent:
		// the code to scan, and every way in for a touch screen.
		d.Kind = DesktopPage
		d.addAll(l, v, r)
	}
}

// addAll offers every configured host in its browser form, then the web
// page. A launch link made with the tenant's app goes first: WeChat's
// encrypted scheme opens any page without the console declaration a
// plaintext one needs, and a URL Link works from any browser.
func (d *Decision) addAll(l *links.Link, v view, r *Request) {
	for h := range Host(len(hosts)) {
		t := v.pick(h)
		if t == nil {
			continue
		}
		if u := d.made(l, v, t, h, links.KindScheme, r); u != "" {
			d.addOption(Target{Host: h, Form: FormMadeScheme, url: u})
			continue
		}
		if u := d.made(l, v, t, h, links.KindURLLink, r); u != "" {
			d.addOption(Target{Host: h, Form: FormMade, url: u})
			continue
		}
		form := FormBrowser
		if h == hostWeChat && t.WeChat.ActiveURLLink(r.Time) != "" {
			form = FormURLLink
		}
		d.addOption(Target{Host: h, Form: form, from: t})
	}
	d.addWeb(v.web())
}

// made is the launch link of kind made for host h's target t as this scan
// reaches it (the link's own, the matched rule's, or with the variant's
// sg_v), or "". A URL Link the merchant pasted on that very target comes
// first (a variant reaching the link's own target needs its sg_v, which a
// pasted one lacks). Douyin's are made for the Douyin app: Toutiao and
// Douyin Lite, which share the Douyin row, keep their scheme.
func (d *Decision) made(l *links.Link, v view, t *links.Targets, h Host, kind string, r *Request) string {
	if t == nil || len(l.Made) == 0 {
		return ""
	}
	own := t == v.over || d.Variant == ""
	if h == hostWeChat && kind == links.KindURLLink && own && t.WeChat.ActiveURLLink(r.Time) != "" {
		return "" // the pasted one serves
	}
	if h == hostDouyin && kind == links.KindURLLink && (r.Client.App == platform.Toutiao || r.Client.Lite) {
		return "" // made for the Douyin app: Toutiao and Douyin Lite keep the scheme
	}
	rule := ""
	if t == v.over && d.Rule != "" {
		rule = d.Rule
	}
	return l.MadeURL(hosts[h].name, kind, rule, d.Variant, r.Time)
}

func (d *Decision) addWeb(web *links.WebTarget) {
	if web != nil {
		d.addOption(Target{Host: Web, Form: FormURL, url: web.URL})
	}
}

// hostWeChat and hostDouyin are WeChat's and Douyin's rows in hosts.
const (
	hostWeChat Host = 0
	hostDouyin Host = 2
)

// view is the link's targets with a rule's or a variant's over them: a
// host the override sets comes from it, every other from the link.
type view struct {
	over, base *links.Targets
}

// pick returns the targets that configure host h, or nil.
func (v view) pick(h Host) *links.Targets {
	if v.over != nil && hosts[h].set(v.over) {
		return v.over
	}
	if hosts[h].set(v.base) {
		return v.base
	}
	return nil
}

func (v view) web() *links.WebTarget {
	if v.over != nil && v.over.Web != nil {
		return v.over.Web
	}
	return v.base.Web
}

func (v view) onlyWeb() bool {
	for h := range Host(len(hosts)) {
		if v.pick(h) != nil {
			return false
		}
	}
	return v.web() != nil
}
