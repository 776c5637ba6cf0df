package httpapi

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
	"github.com/scangate/scangate/internal/qr"
)

// scan answers the URL inside every printed code: look up, classify,
// record, answer. It returns errors rather than rendering them, and logs
// nothing on success.
func (s *Server) scan(c echo.Context) error {
	code := c.Param("code")
	if name, ok := strings.CutSuffix(code, ".txt"); ok {
		return s.serveVerification(c, name)
	}
	if !links.ValidCode(code) {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	ctx := c.Request().Context()
	l, err := s.deps.Links.Lookup(ctx, code)
	if errors.Is(err, links.ErrNotFound) {
		return s.errorPage(c, http.StatusNotFound, code)
	}
	if err != nil {
		return err
	}
	if l.StateAt(s.now(), 0) != links.StateLive {
		return s.inactive(c, l)
	}

	client := platform.Detect(c.Request().UserAgent())
	if client.Bot {
		// Previewers and crawlers are answered but never counted: a shared
		// link must not inflate a campaign or use up its scan limit.
		if l.Targets.OnlyWeb() {
			return redirect(c, l.Targets.Web.URL)
		}
		return s.cachedPage(c, l, "preview", 0, func(t *texts) (*pageData, error) {
			return &pageData{Title: title(t, l)}, nil
		})
	}
	if c.Request().Method == http.MethodGet {
		if ok, err := s.deps.Links.Admit(ctx, l); err != nil {
			// Better an extra scan over the limit than a customer at a
			// table facing an error page because Redis blinked. Said at
			// most once every ten seconds, not per scan.
			if held, ok := s.admitLog.Allow(s.now()); ok {
				s.log.Warn("scan limit not checked: Redis did not answer; scans of limited links are let through",
					"code", l.Code, "err", err, "since_last_line", held)
			}
		} else if !ok {
			return s.inactive(c, l)
		}
		s.recordScan(c, l, client)
	}

	if l.Targets.OnlyWeb() {
		return redirect(c, l.Targets.Web.URL)
	}
	if u, ok := directLaunch(client.App, l, s.now()); ok {
		return redirect(c, u)
	}
	switch {
	case client.App == platform.WeChat && l.Targets.WeChat != nil:
		return s.wechatPage(c, l)
	case client.Mobile:
		return s.landingPage(c, l, client)
	}
	return s.desktopPage(c, l)
}

// inactive answers a paused, scheduled, expired or exhausted link.
func (s *Server) inactive(c echo.Context, l *links.Link) error {
	if l.FallbackURL != "" {
		return redirect(c, l.FallbackURL)
	}
	return s.errorPage(c, http.StatusGone, l.Code)
}

// redirect sends a scan on with 302. Every visit must reach us to be
// counted, and a link may be retargeted at any time, so nothing may cache
// the redirect. The location is always a URL the gateway built or a
// tenant's target that passed validation on write.
func redirect(c echo.Context, to string) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Location", to)
	c.Response().WriteHeader(http.StatusFound)
	return nil
}

func title(t *texts, l *links.Link) string {
	if l.Title != "" {
		return l.Title
	}
	return t.DefaultTitle
}

// inAppBrowsers are host apps whose web views rarely let a page open
// another app; their users are told how to escape to a real browser.
var inAppBrowsers = map[platform.App]bool{
	platform.WeChat: true, platform.WeCom: true, platform.QQ: true, platform.DingTalk: true,
	platform.Taobao: true, platform.Alipay: true, platform.Baidu: true, platform.Douyin: true,
	platform.Toutiao: true, platform.TikTok: true, platform.Kuaishou: true, platform.Feishu: true,
	platform.Weibo: true, platform.OtherApp: true,
}

// landingPage serves phones: it tries the best launch at once and offers
// every configured host plus the web page.
func (s *Server) landingPage(c echo.Context, l *links.Link, client platform.Client) error {
	// A link reaching the landing page has a mini program target (a
	// web-only link was redirected), so the best launch is always an app.
	auto := client.App == platform.Browser
	hint := inAppBrowsers[client.App]
	return s.cachedPage(c, l, "landing", flags(auto, hint, s.urlLinkLive(l)), func(t *texts) (*pageData, error) {
		return &pageData{Title: title(t, l), Options: launchOptions(l, s.now()), AutoLaunch: auto, InAppHint: hint}, nil
	})
}

// urlLinkLive is part of a page's cache key: a URL Link that expires
// changes the page without changing the link.
func (s *Server) urlLinkLive(l *links.Link) bool {
	return l.Targets.WeChat.ActiveURLLink(s.now()) != ""
}

func flags(bits ...bool) uint8 {
	var f uint8
	for i, b := range bits {
		if b {
			f |= 1 << i
		}
	}
	return f
}

// wechatPage serves WeChat users when the link has no URL Link: the code
// itself to long-press (WeChat then applies the ordinary-link QR rule and
// opens the mini program), plus the plaintext scheme and the web page.
func (s *Server) wechatPage(c echo.Context, l *links.Link) error {
	return s.cachedPage(c, l, "wechat", flags(s.urlLinkLive(l)), func(t *texts) (*pageData, error) {
		png, err := s.pageQR(l, qr.PNG)
		if err != nil {
			return nil, err
		}
		return &pageData{
			Title:     title(t, l),
			Options:   launchOptions(l, s.now()),
			QRDataURL: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png),
		}, nil
	})
}

// desktopPage shows the code to scan with a phone, and the web page.
func (s *Server) desktopPage(c echo.Context, l *links.Link) error {
	return s.cachedPage(c, l, "desktop", flags(s.urlLinkLive(l)), func(t *texts) (*pageData, error) {
		svg, err := s.pageQR(l, qr.SVG)
		if err != nil {
			return nil, err
		}
		return &pageData{
			Title:   title(t, l),
			Options: launchOptions(l, s.now()),
			// The SVG is our own renderer's output for our own short URL.
			QRSVG: template.HTML(svg),
		}, nil
	})
}

func (s *Server) pageQR(l *links.Link, f qr.Format) ([]byte, error) {
	o := qr.DefaultOptions()
	o.Format, o.Size, o.Margin = f, 480, 2
	img, _, err := s.deps.QRCache.Get(s.shortURL(l.Code), o)
	return img, err
}
