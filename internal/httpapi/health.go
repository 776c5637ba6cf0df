package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 only when the store answers, so a load balancer stops
// sending traffic to an instance that has lost Redis.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.deps.Ready(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.String(http.StatusServiceUnavailable, "store unavailable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// verificationFile serves the files host apps fetch to verify that we own
// the domain of an ordinary-link QR rule: 200, the configured content, no
// redirect.
func (s *Server) verificationFile(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("file"), ".txt")
	if !ok {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	return s.serveVerification(c, name)
}

func (s *Server) serveVerification(c echo.Context, name string) error {
	content, ok := s.cfg.VerificationFiles[name]
	if !ok {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(fmt.Sprint(content)))
}
