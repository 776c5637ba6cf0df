package httpapi

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/web"
)

// The merchant console at /console/: server-rendered pages on the same
// domain packages as the API. Pages load only /console/static/ files
// ('self' in their CSP: nothing inline runs); forms post with the
// session's CSRF token (sign-in, before a session, with a cookie's:
// double submit); sessions live in auth.

const (
	sessionCookie    = "sg_session"
	loginCSRFCookie  = "sg_login_csrf"
	consoleCSP       = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	consoleStaticAge = 3600
)

// consolePages are the console's templates, parsed once.
type consolePages struct {
	t *template.Template
}

func parseConsolePages() (*consolePages, error) {
	t, err := template.New("console").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).ParseFS(web.Console, "console/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	return &consolePages{t: t}, nil
}

// consolePage is what every page's layout needs, and the page's own data.
type consolePage struct {
	Lang    string
	T       consoleText
	Title   string
	Nav     string
	Path    string
	Session *auth.Session
	CSRF    string
	Error   string
	Data    any
}

// render writes a console page.
func (s *Server) consoleRender(c echo.Context, status int, name string, p consolePage, data any) error {
	r := c.Request()
	p.Lang = consoleLang(r)
	p.T = consoleTexts[p.Lang]
	if p.Path == "" {
		p.Path = r.URL.Path
	}
	if sess, ok := c.Get("session").(auth.Session); ok && p.CSRF == "" {
		p.Session = &sess
		p.CSRF = sess.CSRF
	}
	p.Data = data
	var buf bytes.Buffer
	if err := s.console.t.ExecuteTemplate(&buf, name, mergePage(p, data)); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set("Content-Language", p.Lang)
	h.Set("Vary", "Cookie, Accept-Language")
	return c.HTMLBlob(status, buf.Bytes())
}

// mergePage lets templates read the layout's fields and the page's own
// at the top level: the page data is a struct embedding consolePage.
func mergePage(p consolePage, data any) any {
	if m, ok := data.(interface{ setPage(consolePage) any }); ok {
		return m.setPage(p)
	}
	return p
}

// consoleHeaders set what every console answer carries.
func (s *Server) consoleHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(c.Request().URL.Path, "/console/static/") {
			h.Set("Cache-Control", "no-store")
		}
		// A form's body is bounded before anything reads it (the CSRF
		// check parses it): 64 KiB, a spreadsheet's 16 MiB, or a link
		// form's 512 KiB (20 rules and 10 variants, each with every
		// target's inputs, post well under it).
		if r := c.Request(); r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(64 << 10)
			switch {
			case r.URL.Path == "/console/links/upload":
				limit = maxBulkBody + 64<<10
			case isLinkForm(r.URL.Path):
				limit = maxLinkFormBody
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		}
		return next(c)
	}
}

// maxLinkFormBody bounds a link form's post.
const maxLinkFormBody = 512 << 10

// isLinkForm reports whether path is where a link form posts:
// /console/links/new or /console/links/{code}.
func isLinkForm(path string) bool {
	rest, ok := strings.CutPrefix(path, "/console/links/")
	return ok && rest != "" && !strings.Contains(rest, "/") && rest != "bulk" && rest != "upload"
}

// consoleGzip compresses the console's pages, stylesheet and script for
// phones; not the live stream (each event must leave at once), nor the
// PNG, PDF and zip answers, already compressed.
var consoleGzip = middleware.GzipWithConfig(middleware.GzipConfig{
	Level:     5,
	MinLength: 1024,
	Skipper: func(c echo.Context) bool {
		p := c.Request().URL.Path
		return p == "/console/live/events" || strings.HasSuffix(p, "/qr") || strings.HasSuffix(p, "/print")
	},
})

// consoleError renders a failure as a console page.
func (s *Server) consoleError(c echo.Context, status int, titleKey, textKey string) error {
	t := consoleTexts[consoleLang(c.Request())]
	return s.consoleRender(c, status, "error.html", consolePage{Title: t[titleKey], Error: t[textKey]}, nil)
}

// consoleFail turns a domain error into its page: not found (another
// tenant's too), unavailable, or any other refusal with its reason (a
// quota, a limit); anything else, or an answer already begun, goes to
// the error handler.
func (s *Server) consoleFail(c echo.Context, err error) error {
	status, body := classify(err)
	switch {
	case c.Response().Committed:
		return err
	case status == http.StatusNotFound:
		return s.consoleError(c, http.StatusNotFound, "not_found", "not_found_text")
	case status == http.StatusServiceUnavailable:
		c.Response().Header().Set("Retry-After", "5")
		return s.consoleError(c, http.StatusServiceUnavailable, "unavailable", "unavailable_text")
	case status >= 400 && status < 500:
		t := consoleTexts[consoleLang(c.Request())]
		title := t["forbidden"]
		if status == http.StatusTooManyRequests {
			title = t["limit_reached"]
		}
		return s.consoleRender(c, status, "error.html", consolePage{Title: title, Error: body.Message}, nil)
	}
	return err
}

// secureCookies reports whether cookies get Secure: the request came over
// HTTPS (directly or, from a trusted proxy, as it says).
func (s *Server) secureCookies(c echo.Context) bool {
	return c.Scheme() == "https" || strings.HasPrefix(s.cfg.PublicBaseURL, "https://")
}

// setCookie sets one of the console's own cookies. Behind HTTPS it is a
// __Host- cookie (Secure, Path=/, no Domain), which a sibling subdomain
// cannot set or overwrite: no planted session, no planted sign-in CSRF
// token. Over plain HTTP (the local quick start) browsers refuse that
// prefix, so the cookie is named plainly and kept to /console.
func (s *Server) setCookie(c echo.Context, name, value string, maxAge int, sameSite http.SameSite) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/console", MaxAge: maxAge, HttpOnly: true, SameSite: sameSite}
	if s.secureCookies(c) {
		ck.Name, ck.Path, ck.Secure = "__Host-"+name, "/", true
	}
	c.SetCookie(ck)
}

// cookie reads one of the console's own cookies, by the name setCookie
// gives it for this request.
func (s *Server) cookie(c echo.Context, name string) (*http.Cookie, error) {
	if s.secureCookies(c) {
		name = "__Host-" + name
	}
	return c.Cookie(name)
}

// withSession loads the session of the request's cookie, if any.
func (s *Server) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := s.cookie(c, sessionCookie); err == nil {
			sess, err := s.deps.Keys.Session(c.Request().Context(), ck.Value)
			switch {
			case err == nil:
				c.Set("session", sess)
			case !errors.Is(err, auth.ErrNoSession):
				return s.consoleFail(c, err)
			}
		}
		return next(c)
	}
}

// requireSession sends a visitor without a session to sign in, and then
// back; a state-changing request must carry the session's CSRF token.
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, ok := c.Get("session").(auth.Session)
		if !ok {
			if c.Request().Method != http.MethodGet {
				return s.consoleError(c, http.StatusForbidden, "forbidden", "csrf_failed")
			}
			return c.Redirect(http.StatusSeeOther, "/console/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if c.Request().Method != http.MethodGet {
			// A body past its bound reads as no form at all: say so, not
			// that the form expired.
			if _, err := c.FormParams(); errors.As(err, new(*http.MaxBytesError)) {
				return s.consoleError(c, http.StatusRequestEntityTooLarge, "forbidden", "form_too_large")
			}
			if !sameToken(c.FormValue("csrf"), sess.CSRF) {
				return s.consoleError(c, http.StatusForbidden, "forbidden", "csrf_failed")
			}
		}
		// The API's helpers (tenant, roles) read the principal as a key.
		c.Set(keyContextKey, auth.Key{ID: "user:" + sess.Email, Tenant: sess.Tenant, Role: sess.Role})
		return next(c)
	}
}

func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext keeps a post-sign-in destination inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console/links"
	}
	return next
}

func (s *Server) consoleHome(c echo.Context) error {
	if _, ok := c.Get("session").(auth.Session); ok {
		return c.Redirect(http.StatusSeeOther, "/console/links")
	}
	return c.Redirect(http.StatusSeeOther, "/console/login")
}

// consoleStatic serves the console's stylesheet and script.
func (s *Server) consoleStatic(c echo.Context) error {
	name := path.Base(c.Param("file"))
	data, err := fs.ReadFile(web.Console, "console/static/"+name)
	if err != nil {
		return s.consoleError(c, http.StatusNotFound, "not_found", "not_found_text")
	}
	c.Response().Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", consoleStaticAge))
	return c.Blob(http.StatusOK, mime.TypeByExtension(path.Ext(name)), data)
}

// consoleSetLang remembers a language and goes back.
func (s *Server) consoleSetLang(c echo.Context) error {
	lang := c.Param("lang")
	if _, ok := consoleTexts[lang]; !ok {
		return s.consoleError(c, http.StatusNotFound, "not_found", "not_found_text")
	}
	c.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode,
		Secure: s.secureCookies(c)})
	return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
}
