package httpapi

import (
	"context"
	"encoding/base64"
	"html/template"
	"net/url"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/routing"
)

// option is one way out of a scan page.
type option struct {
	Host string // "wechat", "alipay", ..., "web"
	URL  string
}

// pageFor builds what the page of decision d shows for l.
func (s *Server) pageFor(l *links.Link, d *routing.Decision, t *texts) (*pageData, error) {
	p := &pageData{T: t, Title: title(t, l), AutoLaunch: d.AutoLaunch, InAppHint: d.InAppHint}
	for _, o := range d.Options() {
		p.Options = append(p.Options, option{Host: o.Name(), URL: o.URL(l.Code, d.Variant)})
	}
	switch d.Kind {
	case routing.WeChatPage:
		if u := s.sunCodeURL(l, d); u != "" {
			// The tenant's app makes launch links for this way in: a
			// sun code, which long-pressed opens the mini program.
			p.QRURL = u
			break
		}
		// The code itself, to long-press: WeChat then applies the
		// ordinary-link QR rule and opens the mini program.
		png, err := s.pageQR(l, qr.PNG)
		if err != nil {
			return nil, err
		}
		p.QRDataURL = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	case routing.DesktopPage:
		svg, err := s.pageQR(l, qr.SVG)
		if err != nil {
			return nil, err
		}
		// The SVG is our own renderer's output for our own short URL.
		p.QRSVG = template.HTML(svg)
	}
	return p, nil
}

// sunCodeURL is the address of the sun code for the WeChat target a scan
// reached (d's rule), when the link has a launch link made for it, so the
// tenant's app is registered and works; else "". A variant has none: a sun
// code carries only the code, and the mini program could not tell the
// variant. The address names the target's fingerprint, so an edit is a new
// image, never one cached for the old page.
func (s *Server) sunCodeURL(l *links.Link, d *routing.Decision) string {
	if d.Variant != "" {
		return ""
	}
	rule := slotRule(l, d)
	slot, ok := madeSlot(l, rule, "")
	if !ok {
		return ""
	}
	q := url.Values{}
	if rule != "" {
		q.Set("r", rule)
	}
	q.Set("f", slot.Fingerprint(links.KindURLLink)[:12])
	// Root-relative, so that the page's CSP ('self') holds whichever host
	// or scheme the page was reached by.
	return s.publicPath + "/s/" + url.PathEscape(l.Code) + "/wxacode?" + q.Encode()
}

// slotRule is the rule whose own WeChat target a decision reached, or ""
// when it reached the link's (or a variant's).
func slotRule(l *links.Link, d *routing.Decision) string {
	if ruleHasWeChat(l, d.Rule) {
		return d.Rule
	}
	return ""
}

// wechatSlot is the link's WeChat slot of rule and variant.
func wechatSlot(l *links.Link, rule, variant string) (links.Slot, bool) {
	for _, slot := range l.Slots(links.MadeWeChat) {
		if slot.Rule == rule && slot.Variant == variant {
			return slot, true
		}
	}
	return links.Slot{}, false
}

// madeSlot is the link's WeChat slot of rule and variant, if a launch link
// was ever made for it as it is.
func madeSlot(l *links.Link, rule, variant string) (links.Slot, bool) {
	slot, ok := wechatSlot(l, rule, variant)
	if !ok {
		return slot, false
	}
	_, u := l.FindMade(slot, links.KindURLLink)
	_, sc := l.FindMade(slot, links.KindScheme)
	return slot, u || sc
}

func ruleHasWeChat(l *links.Link, name string) bool {
	for i := range l.Rules {
		if name != "" && l.Rules[i].Name == name {
			return l.Rules[i].Targets.WeChat != nil
		}
	}
	return false
}

func title(t *texts, l *links.Link) string {
	if l.Title != "" {
		return l.Title
	}
	return t.DefaultTitle
}

func (s *Server) pageQR(l *links.Link, f qr.Format) ([]byte, error) {
	o := qr.DefaultOptions()
	o.Format, o.Size, o.Margin = f, 480, 2
	// 480 px: under the size that waits for a render slot.
	img, _, err := s.deps.QRCache.Get(context.Background(), s.shortURL(l.Code), o)
	return img, err
}
