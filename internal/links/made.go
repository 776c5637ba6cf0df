package links

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	"github.com/scangate/scangate/internal/platform"
)

// Platforms and kinds of made launch links.
const (
	MadeWeChat = "wechat"
	MadeDouyin = "douyin"

	KindURLLink = "url_link" // WeChat's https://wxaurl.cn/..., Douyin's https://z.douyin.com/...
	KindScheme  = "scheme"   // WeChat's encrypted weixin://dl/business/?t=...
)

// Made is a launch link a platform made for one way into a link (a slot):
// the gateway asks for it with the tenant's registered app and keeps it
// here, so that the scan path serves it with no call. It is valid only for
// the target it was made from: For is that slot's fingerprint, and a link
// whose slot no longer has it drops it on every write.
type Made struct {
	Platform  string    `json:"platform"`
	Kind      string    `json:"kind"`
	Rule      string    `json:"rule,omitempty"`
	Variant   string    `json:"variant,omitempty"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	MadeAt    time.Time `json:"made_at"`
	For       string    `json:"for"`
}

// PlatformStatus is how the last try to make a link's launch links on a
// platform went: "ok", or "error" with the platform's code and message
// (85079: the mini program is not published; 40165: no such page).
type PlatformStatus struct {
	State   string    `json:"state"`
	Code    int       `json:"code,omitempty"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// Slot is one way a scan reaches a platform's target: the link's own, a
// rule's, or a variant's (whose launch query carries sg_v), with what a
// launch link for it opens.
type Slot struct {
	Platform, Rule, Variant        string
	AppID, Path, Query, EnvVersion string // Query: the launch query, with scene and sg_v
	// Pasted is the slot's own WeChat target when it carries a URL Link
	// pasted by the merchant (which then needs none made), else nil.
	Pasted *WeChatTarget
}

// Fingerprint identifies what a launch link of kind made for the slot
// opens: a change of any of it needs a new one.
func (s Slot) Fingerprint(kind string) string {
	h := sha256.New()
	for _, f := range [...]string{s.Platform, kind, s.Rule, s.Variant, s.AppID, s.Path, s.Query, s.EnvVersion} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// LaunchQuery is the query a mini program is launched with: the target's
// query with scene=<code> and, for a variant, sg_v=<variant>.
func LaunchQuery(query, code, variant string) string {
	q := platform.WithScene(query, code)
	if variant != "" {
		q += "&" + VariantParam + "=" + variant
	}
	return q
}

// mini returns the target's app, page, query and env on a platform.
func (t *Targets) mini(p string) (appID, path, query, env string, ok bool) {
	switch p {
	case MadeWeChat:
		if w := t.WeChat; w != nil {
			return w.AppID, w.Path, w.Query, w.EnvVersion, true
		}
	case MadeDouyin:
		if d := t.Douyin; d != nil {
			return d.AppID, d.Path, d.Query, "", true
		}
	}
	return "", "", "", "", false
}

// Slots lists the ways a scan can reach the link's target on platform p
// (MadeWeChat or MadeDouyin): its own target (unless a split leaves it no
// scan), each rule's own, and each variant's, as routing.Resolve picks
// them.
func (l *Link) Slots(p string) []Slot {
	var out []Slot
	add := func(t *Targets, rule, variant string, own bool) {
		if appID, path, query, env, ok := t.mini(p); ok {
			s := Slot{Platform: p, Rule: rule, Variant: variant, AppID: appID, Path: path,
				Query: LaunchQuery(query, l.Code, variant), EnvVersion: env}
			if p == MadeWeChat && own && t.WeChat.URLLink != "" {
				s.Pasted = t.WeChat
			}
			out = append(out, s)
		}
	}
	baseUsed := l.Split == nil || l.Split.weight() == 0
	for _, r := range l.Rules {
		if r.Targets.Empty() {
			continue // redirects to its fallback
		}
		if _, _, _, _, own := r.Targets.mini(p); own {
			add(&r.Targets, r.Name, "", true)
		} else {
			baseUsed = true
		}
	}
	if baseUsed {
		add(&l.Targets, "", "", true)
	}
	if l.Split != nil && l.Split.weight() > 0 {
		for _, v := range l.Split.Variants {
			if _, _, _, _, own := v.Targets.mini(p); own {
				add(&v.Targets, "", v.Name, true)
			} else {
				add(&l.Targets, "", v.Name, false) // the link's URL Link has no sg_v
			}
		}
	}
	return out
}

// OnMiniPlatforms reports whether any target of the link (its own, a
// rule's, a variant's) is on a platform the gateway makes launch links
// for.
func (l *Link) OnMiniPlatforms() bool {
	on := func(t *Targets) bool { return t.WeChat != nil || t.Douyin != nil }
	if on(&l.Targets) {
		return true
	}
	for i := range l.Rules {
		if on(&l.Rules[i].Targets) {
			return true
		}
	}
	if l.Split != nil {
		for i := range l.Split.Variants {
			if on(&l.Split.Variants[i].Targets) {
				return true
			}
		}
	}
	return false
}

func (s *Split) weight() int {
	n := 0
	for _, v := range s.Variants {
		n += v.Weight
	}
	return n
}

// MadeURL is the launch link of kind made for a slot that is valid at now,
// or "". For the scan path: it allocates nothing.
func (l *Link) MadeURL(p, kind, rule, variant string, now time.Time) string {
	for i := range l.Made {
		m := &l.Made[i]
		if m.Platform == p && m.Kind == kind && m.Rule == rule && m.Variant == variant && now.Before(m.ExpiresAt) {
			return m.URL
		}
	}
	return ""
}

// FindMade returns the launch link of kind made for slot s, if any, and
// whether it was made for the slot as it is now.
func (l *Link) FindMade(s Slot, kind string) (Made, bool) {
	for _, m := range l.Made {
		if m.Platform == s.Platform && m.Kind == kind && m.Rule == s.Rule && m.Variant == s.Variant {
			return m, m.For == s.Fingerprint(kind)
		}
	}
	return Made{}, false
}

// keepCurrentMade drops the launch links whose slot is gone or has
// changed since they were made: an edit never serves the old target.
func (l *Link) keepCurrentMade() {
	if len(l.Made) == 0 {
		return
	}
	current := map[string]bool{}
	for _, p := range [...]string{MadeWeChat, MadeDouyin} {
		for _, s := range l.Slots(p) {
			current[s.Fingerprint(KindURLLink)] = true
			current[s.Fingerprint(KindScheme)] = true
		}
	}
	kept := l.Made[:0:0]
	for _, m := range l.Made {
		if current[m.For] {
			kept = append(kept, m)
		}
	}
	l.Made = kept
	if len(l.Made) == 0 {
		l.Made = nil
	}
}

// validMade accepts only the forms each platform issues, so that a made
// launch link can never turn a scan into an open redirect.
func validMade(p, kind, raw string) bool {
	if len(raw) > 512 || strings.ContainsAny(raw, " \t\r\n\"'<>\\") {
		return false
	}
	switch {
	case p == MadeWeChat && kind == KindURLLink:
		return checkURLLink("url", raw) == nil
	case p == MadeWeChat && kind == KindScheme:
		t, ok := strings.CutPrefix(raw, "weixin://dl/business/?t=")
		return ok && t != "" && strings.Trim(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
	case p == MadeDouyin && kind == KindURLLink:
		u, err := url.Parse(raw)
		return err == nil && u.Scheme == "https" && (u.Host == "douyin.com" || strings.HasSuffix(u.Host, ".douyin.com")) &&
			len(u.Path) > 1 && u.User == nil
	}
	return false
}
