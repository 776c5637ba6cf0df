package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// scan answers the URL inside a printed code: look up, classify, answer.
func (s *Server) scan(c echo.Context) error {
	code := c.Param("code")
	if strings.HasSuffix(code, ".txt") {
		return s.serveVerification(c, strings.TrimSuffix(code, ".txt"))
	}
	if !links.ValidCode(code) {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	l, err := s.deps.Links.Lookup(c.Request().Context(), code)
	if errors.Is(err, links.ErrNotFound) {
		return s.errorPage(c, http.StatusNotFound, code)
	}
	if err != nil {
		return err
	}
	if l.StateAt(s.now(), 0) != links.StateLive {
		if l.FallbackURL != "" {
			return redirect(c, l.FallbackURL)
		}
		return s.errorPage(c, http.StatusGone, l.Code)
	}
	if l.Targets.Web != nil {
		return redirect(c, l.Targets.Web.URL)
	}
	if l.FallbackURL != "" {
		return redirect(c, l.FallbackURL)
	}
	return s.errorPage(c, http.StatusNotFound, l.Code)
}

// redirect sends a scan on with 302. Every visit must reach us to be
// counted, and a link may be retargeted at any time, so nothing may cache
// the redirect.
func redirect(c echo.Context, to string) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusFound, to)
}
