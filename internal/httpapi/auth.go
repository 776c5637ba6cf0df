package httpapi

import (
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
)

const keyContextKey = "scangate.key"

// authenticate requires a valid Bearer key and remembers it for handlers.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		k, err := s.authenticateKey(c)
		if err != nil {
			return err
		}
		c.Set(keyContextKey, k)
		return next(c)
	}
}

// authenticateKey finds the API key of the request's Authorization
// header. An address that failed too often lately is refused before any
// work (429): guessing keys costs a guesser, not the gateway.
func (s *Server) authenticateKey(c echo.Context) (auth.Key, error) {
	h := c.Request().Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return auth.Key{}, errUnauthorized // no key tried: not a failure to count
	}
	// A key that worked lately passes a blocked address: merchants behind
	// one NAT with someone's stale script keep working.
	addr, now := clientKey(s.clientIP(c)), s.now()
	if blocked, wait := s.authFailures.blocked(addr, now); blocked && !s.deps.Keys.KnownGood(secret) {
		setRetryAfter(c, wait)
		return auth.Key{}, errAuthFailures
	}
	k, err := s.deps.Keys.Authenticate(c.Request().Context(), secret)
	if errors.Is(err, auth.ErrUnauthorized) {
		s.authFailures.allow(addr, now)
	}
	return k, err
}

// requireWrite refuses viewer keys.
func (s *Server) requireWrite(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !apiKey(c).Role.CanWrite() {
			return errForbidden
		}
		if s.cfg.ReadOnly {
			return errReadOnly
		}
		return next(c)
	}
}

// requireAdmin lets only admin keys through, for reads too: platform apps
// tell about their credentials, and exports take the whole tenant's links
// and much of a machine's time.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if apiKey(c).Role != auth.RoleAdmin {
			return errAdminOnly
		}
		return next(c)
	}
}

// refuseWhenReadOnly refuses the app writes of a gateway serving from a
// backup.
func (s *Server) refuseWhenReadOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.ReadOnly {
			return errReadOnly
		}
		return next(c)
	}
}

func apiKey(c echo.Context) auth.Key {
	k, _ := c.Get(keyContextKey).(auth.Key)
	return k
}

func tenant(c echo.Context) string { return apiKey(c).Tenant }
