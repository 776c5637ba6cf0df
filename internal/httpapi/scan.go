package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/routing"
	"github.com/scangate/scangate/internal/stats"
)

// scan answers the URL inside every printed code: look up, detect,
// resolve, record, render. It returns errors rather than rendering them,
// and logs nothing on success.
func (s *Server) scan(c echo.Context) error {
	code := strings.TrimSuffix(c.Param("code"), "/")
	if name, ok := strings.CutSuffix(code, ".txt"); ok {
		return s.serveVerification(c, name)
	}
	if !links.ValidCode(code) {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	ctx := c.Request().Context()
	l, err := s.deps.Links.Lookup(ctx, code)
	if errors.Is(err, links.ErrNotFound) {
		l = nil // decided below like any other answer
	} else if err != nil {
		return err // 503 with Retry-After, in the one error mapping
	}
	sc := s.detect(c, l, false)
	d := s.decide(ctx, l, &sc)
	if d.Count {
		s.recordScan(c, l, &sc, &d, stats.ChannelGateway)
		s.wantLaunchLinksFromScan(l, &d) // next time, straight in
	}
	return s.render(c, code, l, &d, sc.texts)
}

// scanRequest is what the gateway learnt about one request.
type scanRequest struct {
	req   routing.Request
	texts *texts
	ip    netip.Addr
	// visitor is the day's visitor id, for links that need it (split,
	// per-visitor limit); "" when it could not be computed.
	visitor string
}

// detect learns what routing needs to know about the request: the client,
// its language and place, the time and, for links that need it, the
// visitor. A request from a mini program (app) is a person even when its
// User-Agent looks like a library's.
func (s *Server) detect(c echo.Context, l *links.Link, app bool) scanRequest {
	r := c.Request()
	ua := r.UserAgent()
	lang := language(r.Header.Get("Accept-Language"), ua)
	sc := scanRequest{
		req:   routing.Request{Client: s.uas.detect(ua), Lang: lang, Time: s.now(), Head: r.Method == http.MethodHead},
		texts: textsForLang(lang),
	}
	if app {
		sc.req.Client.Bot, sc.req.Client.Mobile = false, true
	}
	if sc.req.Client.Bot || l == nil {
		return sc // answered, never counted: nothing more to learn
	}
	sc.ip = s.clientIP(c)
	sc.req.Geo = s.deps.Geo.Lookup(sc.ip)
	if routing.NeedsVisitor(l) {
		id, ok := s.deps.Recorder.VisitorID(sc.req.Time, sc.ip, boundedUA(ua))
		if ok {
			sc.visitor = id
		} else {
			// The day's salt is not known yet (Redis down since start):
			// a bucket from the raw values keeps the split going; the id
			// is never stored.
			id = sc.ip.String() + "\x00" + ua + "\x00" + sc.req.Time.UTC().Format("20060102")
		}
		sc.req.Bucket = routing.Bucket(id, l.Code)
	}
	return sc
}

// decide resolves the scan, checking the limits the decision asks for and
// resolving again, with sc.req.Over set, when one refuses the scan.
func (s *Server) decide(ctx context.Context, l *links.Link, sc *scanRequest) routing.Decision {
	d := routing.Resolve(l, sc.req)
	if d.Check != 0 {
		if over := s.checkLimits(ctx, l, sc); over != 0 {
			sc.req.Over = over
			d = routing.Resolve(l, sc.req)
		}
	}
	return d
}

// checkLimits checks (GET: and counts) the scan against the link's limits
// and returns the one it is over. Better an extra scan over a limit than a
// customer at a table facing an error page because Redis blinked: when
// Redis does not answer, the scan is let through, said at most once every
// ten seconds.
func (s *Server) checkLimits(ctx context.Context, l *links.Link, sc *scanRequest) routing.Limits {
	over, err := s.deps.Links.CheckLimits(ctx, l, links.LimitCheck{Visitor: sc.visitor, Time: sc.req.Time, Peek: sc.req.Head})
	if err != nil {
		if held, ok := s.admitLog.Allow(s.now()); ok {
			s.log.Warn("scan limit not checked: Redis did not answer; scans of limited links are let through",
				"code", l.Code, "err", err, "since_last_line", held)
		}
		return 0
	}
	switch over {
	case links.OverScans:
		return routing.LimitScans
	case links.OverVisitor:
		return routing.LimitVisitor
	}
	return 0
}

// render answers the decision for a scan of code (l nil: unknown).
func (s *Server) render(c echo.Context, code string, l *links.Link, d *routing.Decision, t *texts) error {
	switch d.Kind {
	case routing.NotFound:
		return s.errorPage(c, http.StatusNotFound, code)
	case routing.Gone:
		return s.errorPage(c, http.StatusGone, code)
	case routing.Redirect:
		return redirect(c, s.launchURL(l, d))
	}
	if ok, err := s.openTagPage(c, l, d, t); ok || err != nil {
		return err
	}
	return s.cachedPage(c, l, d, t)
}

// redirect sends a scan on with 302. Every visit must reach us to be
// counted, and a link may be retargeted at any time, so nothing may cache
// the redirect. The location is always a URL the gateway built or a
// tenant's target that passed validation on write.
func redirect(c echo.Context, to string) error {
	h := c.Response().Header()
	// Set without canonicalising keys already canonical, and with a
	// shared value that net/http only reads: a scan allocates less.
	h["Cache-Control"] = noStore
	h["Location"] = []string{to}
	c.Response().WriteHeader(http.StatusFound)
	return nil
}

// noStore is shared by every redirect: nothing may write to it (net/http
// only reads header values; a handler that wanted another value would
// assign a new slice).
var noStore = []string{"no-store"}
