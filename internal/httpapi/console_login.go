package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
)

// Signing in and out of the console, and setting a password from a
// one-time link.

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
	ck, err := s.cookie(c, loginCSRFCookie)
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
	if ck, err := s.cookie(c, sessionCookie); err == nil {
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
	ck, err := s.cookie(c, loginCSRFCookie)
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
