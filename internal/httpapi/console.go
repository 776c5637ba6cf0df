package httpapi

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/links"
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
		// check parses it): 64 KiB, or a spreadsheet's 16 MiB.
		if r := c.Request(); r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(64 << 10)
			if r.URL.Path == "/console/links/upload" {
				limit = maxBulkBody + 64<<10
			}
			r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		}
		return next(c)
	}
}

// consoleError renders a failure as a console page.
func (s *Server) consoleError(c echo.Context, status int, titleKey, textKey string) error {
	t := consoleTexts[consoleLang(c.Request())]
	return s.consoleRender(c, status, "error.html", consolePage{Title: t[titleKey], Error: t[textKey]}, nil)
}

// consoleFail turns a domain error into its page: not found (another
// tenant's too), or unavailable; anything else goes to the error handler.
func (s *Server) consoleFail(c echo.Context, err error) error {
	status, _ := classify(err)
	switch {
	case status == http.StatusNotFound:
		return s.consoleError(c, http.StatusNotFound, "not_found", "not_found_text")
	case status == http.StatusServiceUnavailable:
		c.Response().Header().Set("Retry-After", "5")
		return s.consoleError(c, http.StatusServiceUnavailable, "unavailable", "unavailable_text")
	}
	return err
}

// secureCookies reports whether cookies get Secure: the request came over
// HTTPS (directly or, from a trusted proxy, as it says).
func (s *Server) secureCookies(c echo.Context) bool {
	return c.Scheme() == "https" || strings.HasPrefix(s.cfg.PublicBaseURL, "https://")
}

func (s *Server) setCookie(c echo.Context, name, value string, maxAge int, sameSite http.SameSite) {
	c.SetCookie(&http.Cookie{Name: name, Value: value, Path: "/console", MaxAge: maxAge, HttpOnly: true,
		Secure: s.secureCookies(c), SameSite: sameSite})
}

// withSession loads the session of the request's cookie, if any.
func (s *Server) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(sessionCookie); err == nil {
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
		if c.Request().Method != http.MethodGet && !sameToken(c.FormValue("csrf"), sess.CSRF) {
			return s.consoleError(c, http.StatusForbidden, "forbidden", "csrf_failed")
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

type loginPage struct {
	consolePage
	Email, Next string
}

func (p loginPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

func (s *Server) consoleLoginPage(c echo.Context) error {
	if _, ok := c.Get("session").(auth.Session); ok {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.renderLogin(c, http.StatusOK, "", "")
}

// renderLogin shows the sign-in form with a fresh double-submit token.
func (s *Server) renderLogin(c echo.Context, status int, email, errText string) error {
	tok := newToken()
	s.setCookie(c, loginCSRFCookie, tok, 3600, http.SameSiteStrictMode)
	next := c.QueryParam("next")
	if next == "" {
		next = c.FormValue("next")
	}
	return s.consoleRender(c, status, "login.html", consolePage{Title: consoleTexts[consoleLang(c.Request())]["sign_in"], Error: errText, CSRF: tok},
		loginPage{Email: email, Next: safeNext(next)})
}

// signInAddr names the client for sign-in throttling without storing its
// address: the day's visitor hash (shared by instances), else the
// address's hash.
func (s *Server) signInAddr(c echo.Context) string {
	ip := s.clientIP(c)
	if ip.Is6() && !ip.Is4In6() {
		// One subscriber holds a whole /64.
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	if s.deps.Recorder != nil {
		if id, ok := s.deps.Recorder.VisitorID(s.now(), ip, "console sign-in"); ok {
			return id
		}
	}
	sum := sha256.Sum256([]byte("scangate sign-in " + ip.String()))
	return "ip-" + hex.EncodeToString(sum[:12])
}

func (s *Server) consoleLogin(c echo.Context) error {
	ctx := c.Request().Context()
	t := consoleTexts[consoleLang(c.Request())]
	ck, err := c.Cookie(loginCSRFCookie)
	if err != nil || !sameToken(c.FormValue("csrf"), ck.Value) {
		return s.consoleError(c, http.StatusForbidden, "forbidden", "csrf_failed")
	}
	typed := strings.TrimSpace(c.FormValue("email"))
	email, err := auth.NormalizeEmail(typed)
	if err != nil {
		email = "invalid" // counted as one account: what was typed is not kept
	}
	// The try is counted before the password is checked, so that a burst
	// of tries cannot pass the throttle together.
	wait, err := s.deps.Keys.SignInTry(ctx, s.signInAddr(c), email)
	if err != nil {
		return s.consoleFail(c, err)
	}
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		c.Response().Header().Set("Retry-After", fmt.Sprint(secs))
		return s.renderLogin(c, http.StatusTooManyRequests, typed, fmt.Sprintf(t["too_many_tries"], secs))
	}
	u, err := s.deps.Keys.CheckCredentials(ctx, email, c.FormValue("password"))
	if errors.Is(err, auth.ErrBadCredentials) {
		return s.renderLogin(c, http.StatusUnauthorized, typed, t["bad_login"])
	}
	if err != nil {
		return s.consoleFail(c, err)
	}
	s.deps.Keys.SignInSucceeded(ctx, email)
	return s.startSession(c, u, c.FormValue("next"))
}

func (s *Server) startSession(c echo.Context, u auth.User, next string) error {
	id, _, err := s.deps.Keys.StartSession(c.Request().Context(), u)
	if errors.Is(err, auth.ErrBadCredentials) {
		return s.renderLogin(c, http.StatusUnauthorized, u.Email, consoleTexts[consoleLang(c.Request())]["bad_login"])
	}
	if err != nil {
		return s.consoleFail(c, err)
	}
	s.setCookie(c, sessionCookie, id, int(auth.SessionAbsolute/time.Second), http.SameSiteLaxMode)
	s.setCookie(c, loginCSRFCookie, "", -1, http.SameSiteStrictMode)
	return c.Redirect(http.StatusSeeOther, safeNext(next))
}

func (s *Server) consoleLogout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.deps.Keys.EndSession(c.Request().Context(), ck.Value); err != nil {
			return s.consoleFail(c, err)
		}
	}
	s.setCookie(c, sessionCookie, "", -1, http.SameSiteLaxMode)
	return c.Redirect(http.StatusSeeOther, "/console/login")
}

type setupPage struct {
	consolePage
	Email, Token string
}

func (p setupPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

func (s *Server) consoleSetupPage(c echo.Context) error {
	return s.renderSetup(c, http.StatusOK, c.QueryParam("token"), "")
}

func (s *Server) renderSetup(c echo.Context, status int, token, errText string) error {
	t := consoleTexts[consoleLang(c.Request())]
	u, err := s.deps.Keys.SetupUser(c.Request().Context(), token)
	if errors.Is(err, auth.ErrTokenInvalid) || errors.Is(err, auth.ErrNotFound) {
		return s.consoleRender(c, http.StatusNotFound, "setup.html", consolePage{Title: t["set_password"], Error: t["link_invalid"]}, setupPage{})
	}
	if err != nil {
		return s.consoleFail(c, err)
	}
	tok := newToken()
	s.setCookie(c, loginCSRFCookie, tok, 3600, http.SameSiteStrictMode)
	return s.consoleRender(c, status, "setup.html", consolePage{Title: t["set_password"], Error: errText, CSRF: tok},
		setupPage{Email: u.Email, Token: token})
}

func (s *Server) consoleSetup(c echo.Context) error {
	ck, err := c.Cookie(loginCSRFCookie)
	if err != nil || !sameToken(c.FormValue("csrf"), ck.Value) {
		return s.consoleError(c, http.StatusForbidden, "forbidden", "csrf_failed")
	}
	token := c.FormValue("token")
	u, err := s.deps.Keys.SetPassword(c.Request().Context(), token, c.FormValue("password"))
	switch {
	case errors.Is(err, auth.ErrInvalid):
		msg := err.Error()
		if i := strings.Index(msg, "password: "); i >= 0 {
			msg = msg[i+len("password: "):]
		}
		return s.renderSetup(c, http.StatusUnprocessableEntity, token, msg)
	case errors.Is(err, auth.ErrTokenInvalid):
		return s.renderSetup(c, http.StatusNotFound, token, "")
	case err != nil:
		return s.consoleFail(c, err)
	}
	return s.startSession(c, u, "/console/links")
}

// selectOption is one choice of a select.
type selectOption struct {
	Value, Label string
	Selected     bool
}

type linkRow struct {
	Code, Title, Campaign, State, StateLabel string
	Scans                                    int64
}

type linksPage struct {
	consolePage
	CanWrite      bool
	Here, Done    string // this page's address (to come back to), and what a bulk action did
	Q, Campaign   string
	States, Sorts []selectOption
	Items         []linkRow
	Next          string
}

func (p linksPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

// consoleLinks lists the tenant's links: search, state, sort, pages, and
// each link's scans.
func (s *Server) consoleLinks(c echo.Context) error {
	ctx := c.Request().Context()
	t := consoleTexts[consoleLang(c.Request())]
	p := links.ListParams{Campaign: c.QueryParam("campaign"), Status: c.QueryParam("status"), Q: strings.TrimSpace(c.QueryParam("q")),
		Sort: c.QueryParam("sort"), Cursor: c.QueryParam("cursor")}
	page := linksPage{Q: p.Q, Campaign: p.Campaign, CanWrite: canWrite(c), Here: c.Request().URL.RequestURI()}
	if n, err := strconv.Atoi(c.QueryParam("done")); err == nil && n >= 0 {
		page.Done = fmt.Sprintf(t["bulk_done"], n)
	}
	for _, v := range []string{"active", "paused", "scheduled", "expired"} {
		page.States = append(page.States, selectOption{v, t["st_"+v], v == p.Status})
	}
	for _, v := range []string{links.SortCreated, links.SortUpdated, links.SortScans} {
		page.Sorts = append(page.Sorts, selectOption{v, t["sort_"+v], v == p.Sort || (p.Sort == "" && v == links.SortCreated)})
	}
	cp := consolePage{Title: t["links"], Nav: "links"}
	q, err := links.ParseListQuery(p)
	if err == nil {
		var res links.Page
		if res, err = s.deps.Links.List(ctx, tenant(c), q); err == nil {
			codes := make([]string, len(res.Items))
			for i, l := range res.Items {
				codes[i] = links.Canonical(l.Code)
			}
			scans, serr := s.deps.Stats.Scans(ctx, codes)
			if serr != nil {
				return s.consoleFail(c, serr)
			}
			now := s.now()
			for _, l := range res.Items {
				st := string(l.StateAt(now, 0))
				page.Items = append(page.Items, linkRow{Code: l.Code, Title: l.Title, Campaign: l.Campaign, State: st,
					StateLabel: t[st], Scans: scans[links.Canonical(l.Code)]})
			}
			if res.NextCursor != "" {
				v := c.QueryParams()
				v.Set("cursor", res.NextCursor)
				page.Next = "/console/links?" + v.Encode()
			}
		}
	}
	var fe *links.FieldError
	switch {
	case errors.As(err, &fe):
		cp.Error = fe.Error()
		return s.consoleRender(c, http.StatusUnprocessableEntity, "links.html", cp, page)
	case err != nil:
		return s.consoleFail(c, err)
	}
	return s.consoleRender(c, http.StatusOK, "links.html", cp, page)
}
