package httpapi

import (
	"bytes"
	"crypto/rand"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/routing"
	"github.com/scangate/scangate/internal/wechat"
	"github.com/scangate/scangate/web"
)

// openTag is WeChat's open tag on the WeChat page: a button that opens the
// mini program, which WeChat shows once the page is signed for a service
// account whose JS-safe domain the page is on.
type openTag struct {
	AppID, Path, EnvVersion string // the mini program and its page, as the tag wants them
	ServiceAppID            string
	Timestamp               int64
	Nonce, Signature        string
}

// openTagPage answers a WeChat page with the open tag when the scan's
// WeChat target belongs to an app with a service account on the gateway's
// host and this process has its ticket at hand; false: no open tag, and
// the page is served as usual. A signed page is for its exact address, so
// it is rendered per scan, never cached.
func (s *Server) openTagPage(c echo.Context, l *links.Link, d *routing.Decision, t *texts) (bool, error) {
	if d.Kind != routing.WeChatPage || s.deps.OpenTags == nil {
		return false, nil
	}
	slot, ok := wechatSlot(l, slotRule(l, d), d.Variant)
	if !ok || slot.Path == "" {
		// Without a page the tag could pass no query: the mini program
		// would open without scene=<code>.
		return false, nil
	}
	tag, ok := s.deps.OpenTags.Lookup(l.Tenant, slot.AppID)
	if !ok || !strings.EqualFold(tag.Domain, s.publicHost) {
		return false, nil
	}
	data, err := s.pageFor(l, d, t)
	if err != nil {
		return false, err
	}
	ot := &openTag{AppID: slot.AppID, EnvVersion: slot.EnvVersion, ServiceAppID: tag.ServiceAppID,
		Timestamp: s.now().Unix(), Nonce: rand.Text()[:16],
		// The tag wants the page with .html before its query.
		Path: slot.Path + ".html?" + slot.Query}
	// Signed for the address WeChat shows: the public base and this
	// request's path and query, without a fragment (never sent).
	ot.Signature = wechat.Signature(tag.Ticket, ot.Nonce, ot.Timestamp, s.cfg.PublicBaseURL+c.Request().URL.RequestURI())
	data.OpenTag, data.OpenTagJS, data.JSSDK = ot, template.JS(web.OpenTagJS), web.JSSDK
	var buf bytes.Buffer
	if err := s.renderTo(&buf, d.Kind.String(), data); err != nil {
		return false, err
	}
	s.pageHeaders(c)
	c.Response().Header().Set("Content-Security-Policy", s.cspOpenTag)
	return true, c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// openTagCSP is the policy of a page with the open tag: the usual one,
// with the JS-SDK's script from WeChat's host and ours, by hash.
func openTagCSP(css, js string) string {
	return strings.Replace(contentSecurityPolicy(css, js), "; script-src "+cspHash(js),
		"; script-src "+cspHash(js)+" "+cspHash(web.OpenTagJS)+" "+jssdkOrigin(), 1)
}

func jssdkOrigin() string {
	u, _ := url.Parse(web.JSSDK)
	return u.Scheme + "://" + u.Host
}

// hostOf is the host name of a base URL, without its port.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
