package httpapi

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
)

// The console's link pages: create, view and edit, pause and resume,
// history and revert. The form's inputs are named as the bulk CSV's
// columns (links.FormFields); a field the store refuses is shown next to
// its input.

// consoleZone shows times as merchants in China read them (no DST).
var consoleZone = time.FixedZone("UTC+8", 8*3600)

// consoleTime is an instant as the console's pages show it, in China.
func consoleTime(t time.Time) string { return t.In(consoleZone).Format("2006-01-02 15:04") }

func canWrite(c echo.Context) bool {
	sess, ok := c.Get("session").(auth.Session)
	return ok && sess.Role.CanWrite()
}

// consoleWrite refuses a viewer's write.
func (s *Server) consoleWrite(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !canWrite(c) {
			return s.consoleError(c, http.StatusForbidden, "forbidden", "viewer_cannot")
		}
		if s.cfg.ReadOnly {
			return s.consoleError(c, http.StatusServiceUnavailable, "unavailable", "read_only_text")
		}
		return next(c)
	}
}

func consoleActor(c echo.Context) links.Actor {
	return links.Actor{By: apiKey(c).ID}
}

func (s *Server) consoleNewLink(c echo.Context) error {
	t := consoleTexts[consoleLang(c.Request())]
	values := map[string]string{}
	if from := c.QueryParam("from"); from != "" { // duplicate
		v, err := s.duplicateValues(c, from)
		if err != nil {
			return s.consoleFail(c, err)
		}
		values = v
	}
	f := buildForm(t, values, nil, "", false)
	f.Action, f.Submit, f.CanWrite = "/console/links/new", t["create"], true
	return s.consoleRender(c, http.StatusOK, "link_new.html", consolePage{Title: t["new_link"], Nav: "links"}, f)
}

func (s *Server) consoleCreateLink(c echo.Context) error {
	t := consoleTexts[consoleLang(c.Request())]
	form, err := c.FormParams()
	if err != nil {
		return s.consoleError(c, http.StatusBadRequest, "forbidden", "csrf_failed")
	}
	var in links.Input
	errs := links.ApplyForm(&in, form)
	in.Code = strings.TrimSpace(form.Get("code"))
	values := postedValues(form)
	if len(errs) == 0 {
		l, err := s.deps.Links.Create(c.Request().Context(), tenant(c), in, consoleActor(c))
		if err == nil {
			return c.Redirect(http.StatusSeeOther, "/console/links/"+l.Code)
		}
		if status, _ := classify(err); status >= 500 {
			return s.consoleFail(c, err)
		}
		// The store names rules and variants by their place in in.
		errs, values = append(errs, err), links.FormValues(&in)
	}
	byField, general := formErrors(errs, consoleLang(c.Request()))
	f := buildForm(t, values, byField, general, false)
	f.Action, f.Submit, f.CanWrite = "/console/links/new", t["create"], true
	return s.consoleRender(c, http.StatusUnprocessableEntity, "link_new.html", consolePage{Title: t["new_link"], Nav: "links"}, f)
}

type historyRow struct {
	Version        int64
	Action, At, By string
	Reason         string
	CanRevert      bool
}

type linkPage struct {
	linkForm
	QRQuery                                                        template.URL // the preview's options, as a query
	QR                                                             map[string]string
	QRError                                                        string
	Sizes, ECCs                                                    []selectOption
	SunCode                                                        bool
	Code, LinkTitle, State, StateLabel, ShortURL, Campaign, Status string
	Scans                                                          int64
	History                                                        []historyRow
}

func (p linkPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

// consoleLink shows a link: its facts, the form to edit it, its QR code
// and its history.
func (s *Server) consoleLink(c echo.Context) error {
	return s.renderLink(c, http.StatusOK, nil, nil, 0)
}

// renderLink draws a link's page; values and errs draw its form as it
// was posted, for version (0: the link's current one) — a form drawn
// again keeps the version its user has seen, so that a change made
// meanwhile is never overwritten unseen.
func (s *Server) renderLink(c echo.Context, status int, values map[string]string, errs []error, version int64) error {
	ctx := c.Request().Context()
	t := consoleTexts[consoleLang(c.Request())]
	l, err := s.deps.Links.Get(ctx, tenant(c), c.Param("code"))
	if err != nil {
		return s.consoleFail(c, err)
	}
	if values == nil {
		values = links.FormValues(&l.Input)
	}
	byField, general := formErrors(errs, consoleLang(c.Request()))
	p := linkPage{linkForm: buildForm(t, values, byField, general, true)}
	p.Action, p.Submit, p.CanWrite, p.Version = "/console/links/"+l.Code, t["save"], canWrite(c), cmp.Or(version, l.Version)
	st := string(l.StateAt(s.now(), 0))
	p.Code, p.LinkTitle, p.State, p.StateLabel, p.ShortURL = l.Code, l.Title, st, t[st], s.shortURL(l.Code)
	p.Campaign, p.Status = l.Campaign, string(l.Status)
	if scans, err := s.scansOf(ctx, l); err == nil {
		p.Scans = scans[links.Canonical(l.Code)]
	}
	entries, _, err := s.deps.Links.History(ctx, tenant(c), l.Code, 0, 20)
	if err != nil {
		return s.consoleFail(c, err)
	}
	p.qrOptions(c, s, t, l)
	for _, e := range entries {
		p.History = append(p.History, historyRow{Version: e.Version, Action: e.Action, At: consoleTime(e.At),
			By: e.By, Reason: e.Reason, CanRevert: e.Version != l.Version})
	}
	return s.consoleRender(c, status, "link.html", consolePage{Title: l.Code, Nav: "links"}, p)
}

func (s *Server) consoleEditLink(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return s.consoleError(c, http.StatusBadRequest, "forbidden", "csrf_failed")
	}
	var errs []error
	var applied links.Input
	version, _ := strconv.ParseInt(form.Get("version"), 10, 64)
	_, err = s.deps.Links.Update(c.Request().Context(), tenant(c), c.Param("code"), links.Change{
		Edit: func(in *links.Input) error {
			errs = links.ApplyForm(in, form)
			applied = *in
			if len(errs) > 0 {
				return errs[0]
			}
			return nil
		},
		Actor:     consoleActor(c),
		IfVersion: version,
	})
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/console/links/"+c.Param("code"))
	}
	var stale *links.StaleError
	if errors.As(err, &stale) {
		// Someone changed the link since this form was drawn: draw it
		// again as it was typed, over the new version, saying so; saved
		// again, it replaces that change.
		t := consoleTexts[consoleLang(c.Request())]
		return s.renderLink(c, http.StatusConflict, postedValues(form), []error{formMessage(fmt.Sprintf(t["stale_form"], stale.Current))}, stale.Current)
	}
	if status, _ := classify(err); status == http.StatusNotFound || status >= 500 {
		return s.consoleFail(c, err)
	}
	values := postedValues(form)
	if len(errs) == 0 {
		// The store names rules and variants by their place in applied.
		errs, values = []error{err}, links.FormValues(&applied)
	}
	return s.renderLink(c, http.StatusUnprocessableEntity, values, errs, version)
}

// consoleSetStatus pauses or resumes a link.
func (s *Server) consoleSetStatus(status links.Status) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.setStatus(c, c.Param("code"), status); err != nil {
			return s.consoleFail(c, err)
		}
		return c.Redirect(http.StatusSeeOther, "/console/links/"+c.Param("code"))
	}
}

func (s *Server) consoleRevert(c echo.Context) error {
	v, err := strconv.ParseInt(c.FormValue("version"), 10, 64)
	if err != nil || v < 1 {
		return s.consoleError(c, http.StatusUnprocessableEntity, "forbidden", "not_found_text")
	}
	if _, err := s.deps.Links.Revert(c.Request().Context(), tenant(c), c.Param("code"), v, consoleActor(c)); err != nil {
		return s.consoleFail(c, err)
	}
	return c.Redirect(http.StatusSeeOther, "/console/links/"+c.Param("code"))
}

// qrOptions reads the preview's QR options from the page's query: they go
// to the image's address as they are (qr.ParseOptions checks them; a bad
// one is shown, and the preview falls back to the defaults).
func (p *linkPage) qrOptions(c echo.Context, s *Server, t consoleText, l *links.Link) {
	p.QR = map[string]string{}
	v := url.Values{}
	for _, k := range []string{"size", "ecc", "margin", "fg", "bg", "caption", "uppercase"} {
		if x := strings.TrimSpace(c.QueryParam(k)); x != "" {
			p.QR[k] = x
			v.Set(k, x)
		}
	}
	if v.Get("size") == "" {
		v.Set("size", "512")
	}
	if _, err := qr.ParseOptions(v); err != nil {
		_, body := classify(err)
		p.QRError = body.Message
		v = url.Values{"size": {"512"}}
	}
	p.QRQuery = template.URL(v.Encode())
	for _, n := range []string{"256", "512", "1024", "2048"} {
		p.Sizes = append(p.Sizes, selectOption{n, n + " px", v.Get("size") == n})
	}
	for _, e := range []string{"L", "M", "Q", "H"} {
		p.ECCs = append(p.ECCs, selectOption{e, e, strings.EqualFold(v.Get("ecc"), e) || (v.Get("ecc") == "" && e == "M")})
	}
	if w := l.Targets.WeChat; w != nil && s.deps.Apps != nil {
		if list, err := s.deps.Apps.List(c.Request().Context(), tenant(c)); err == nil {
			for _, a := range list {
				p.SunCode = p.SunCode || (a.Platform == "wechat" && a.AppID == w.AppID)
			}
		}
	}
}

// setStatus pauses or resumes one of the session tenant's links.
func (s *Server) setStatus(c echo.Context, code string, status links.Status) error {
	_, err := s.deps.Links.Update(c.Request().Context(), tenant(c), code, links.Change{
		Edit:  func(in *links.Input) error { in.Status = status; return nil },
		Actor: consoleActor(c),
	})
	return err
}
