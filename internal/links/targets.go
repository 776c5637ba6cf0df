package links

import (
	"net/url"
	"strings"

	"github.com/scangate/scangate/internal/platform"
)

// normalize checks every configured target against its host app's rules
// (platforms.md), with code the longest scene its launch query will carry.
func (t *Targets) normalize(code string) error {
	if t.Empty() {
		return invalid("targets", "at least one target is required")
	}
	return t.check("targets.", code, "")
}

// check checks the targets that are set, naming fields under prefix. extra
// is the longest addition to every launch query besides the scene (the
// variant parameter of a split link), for WeChat's length limit.
func (t *Targets) check(prefix, code, extra string) error {
	if w := t.WeChat; w != nil {
		if !platform.ValidWeChatAppID(w.AppID) {
			return invalid(prefix+"wechat.appid", "must be 'wx' followed by 16 lowercase hex digits")
		}
		if err := normalizePath(prefix+"wechat.path", &w.Path); err != nil {
			return err
		}
		if err := checkQuery(prefix+"wechat.query", w.Query, MaxQueryLen); err != nil {
			return err
		}
		if n := len(platform.EncodeURIComponent(platform.WithScene(w.Query, code) + extra)); n > MaxWeChatQueryEncoded {
			return invalid(prefix+"wechat.query", "URL-encoded with scene=<code> it is %d characters; WeChat allows %d", n, MaxWeChatQueryEncoded)
		}
		switch w.EnvVersion {
		case "", "release", "trial", "develop":
		default:
			return invalid(prefix+"wechat.env_version", "must be release, trial or develop")
		}
		if w.URLLink != "" {
			if err := checkURLLink(prefix+"wechat.url_link", w.URLLink); err != nil {
				return err
			}
		}
		if w.URLLinkExpiresAt != nil && w.URLLink == "" {
			return invalid(prefix+"wechat.url_link_expires_at", "needs url_link")
		}
	}
	if a := t.Alipay; a != nil {
		if !platform.ValidAlipayAppID(a.AppID) {
			return invalid(prefix+"alipay.appid", "must be 16 digits")
		}
		if err := normalizePath(prefix+"alipay.page", &a.Page); err != nil {
			return err
		}
		if err := checkQuery(prefix+"alipay.query", a.Query, MaxQueryLen); err != nil {
			return err
		}
	}
	if b := t.Baidu; b != nil {
		if !platform.ValidBaiduAppKey(b.AppKey) {
			return invalid(prefix+"baidu.appkey", "must be 32 letters or digits")
		}
		if err := normalizePath(prefix+"baidu.path", &b.Path); err != nil {
			return err
		}
		if err := checkQuery(prefix+"baidu.query", b.Query, MaxQueryLen); err != nil {
			return err
		}
		if k, found := platform.BaiduReservedKey(b.Query); found {
			return invalid(prefix+"baidu.query", "%q is reserved by the Baidu app", k)
		}
	}
	for _, m := range []struct {
		name   string
		target *MiniTarget
		valid  func(string) bool
		format string
	}{
		{"douyin", t.Douyin, platform.ValidDouyinAppID, "must be 'tt' followed by 16 or 18 lowercase hex digits"},
		{"qq", t.QQ, platform.ValidQQAppID, "must be 8 to 12 digits"},
		{"kuaishou", t.Kuaishou, platform.ValidKuaishouAppID, "must be 'ks' followed by 18 digits"},
	} {
		if m.target == nil {
			continue
		}
		p := prefix + m.name + "."
		if !m.valid(m.target.AppID) {
			return invalid(p+"appid", "%s", m.format)
		}
		if err := normalizePath(p+"path", &m.target.Path); err != nil {
			return err
		}
		if err := checkQuery(p+"query", m.target.Query, MaxQueryLen); err != nil {
			return err
		}
	}
	if t.Web != nil {
		if err := checkURL(prefix+"web.url", t.Web.URL); err != nil {
			return err
		}
	}
	return nil
}

// normalizePath accepts a mini program page such as "pages/menu/index". One
// leading '/' is dropped (WeChat refuses it; the others accept both).
func normalizePath(field string, p *string) error {
	if strings.HasPrefix(*p, "//") {
		return invalid(field, "must not start with '//'")
	}
	s := strings.TrimPrefix(*p, "/")
	if s == "" {
		*p = ""
		return nil // the mini program's home page
	}
	if len(s) > MaxPathLen {
		return invalid(field, "at most %d characters", MaxPathLen)
	}
	if !platform.ValidPagePath(s) {
		return invalid(field, "must be a page path like pages/menu/index: letters, digits, '-', '.', '_' and '~' between slashes; no scheme, query, '//', '..' or spaces")
	}
	*p = s
	return nil
}

func checkQuery(field, q string, max int) error {
	if len(q) > max {
		return invalid(field, "at most %d bytes", max)
	}
	if err := checkText(field, q, max); err != nil {
		return err
	}
	if strings.ContainsAny(q, "# ") {
		return invalid(field, "must not contain '#' or spaces; write them as %%23 and %%20")
	}
	if strings.HasPrefix(q, "?") {
		return invalid(field, "write the query without the leading '?'")
	}
	if queryHasKey(q, "scene") {
		return invalid(field, "scene is reserved: ScanGate adds scene=<code> to every launch query")
	}
	if queryHasKey(q, VariantParam) {
		return invalid(field, "%s is reserved: ScanGate adds %s=<variant> to the launch queries of split links", VariantParam, VariantParam)
	}
	return nil
}

func queryHasKey(q, key string) bool {
	for _, pair := range strings.Split(q, "&") {
		k, _, _ := strings.Cut(pair, "=")
		if k == key {
			return true
		}
	}
	return false
}

// checkURLLink accepts only WeChat's own URL Link hosts: a URL Link is a
// ticket WeChat issued, and anything else there would turn the WeChat
// redirect into an open one.
func checkURLLink(field, raw string) error {
	if err := checkURL(field, raw); err != nil {
		return err
	}
	u, _ := url.Parse(raw)
	if u.Scheme != "https" || (u.Host != "wxaurl.cn" && u.Host != "wxmpurl.cn") || len(u.Path) < 2 {
		return invalid(field, "must be a WeChat URL Link: https://wxaurl.cn/<ticket> or https://wxmpurl.cn/<ticket>")
	}
	return nil
}
