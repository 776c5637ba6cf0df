package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
)

// Limits are one tenant's quotas; 0 is no limit.
type Limits struct {
	APIPerMinute    int64
	BulkRowsPerHour int64
	ExportsPerHour  int64
}

// Quotas are the limits of every tenant, with overrides for some.
type Quotas struct {
	Default Limits
	Tenants map[string]Limits
}

func (q Quotas) of(tenant string) Limits {
	if l, ok := q.Tenants[tenant]; ok {
		return l
	}
	return q.Default
}

// The quotas by name, as errors and GET /api/v1/usage show them.
func (l Limits) api() auth.Quota {
	return auth.Quota{Name: "api_per_minute", Limit: l.APIPerMinute, Window: time.Minute}
}
func (l Limits) bulkRows() auth.Quota {
	return auth.Quota{Name: "bulk_rows_per_hour", Limit: l.BulkRowsPerHour, Window: time.Hour}
}
func (l Limits) exports() auth.Quota {
	return auth.Quota{Name: "exports_per_hour", Limit: l.ExportsPerHour, Window: time.Hour}
}

// quotaError: a tenant's quota is used up until the window ends (429).
type quotaError struct {
	q       auth.Quota
	resetAt time.Time
}

func (e *quotaError) Error() string {
	return fmt.Sprintf("your tenant's quota %s (%d) is used up until %s; GET /api/v1/usage shows it",
		e.q.Name, e.q.Limit, e.resetAt.UTC().Format(time.RFC3339))
}

// spend takes n of the request tenant's quota q, or answers why not.
func (s *Server) spend(c echo.Context, q auth.Quota, n int64) error {
	now := s.now()
	ok, resetAt, err := s.deps.Keys.Spend(c.Request().Context(), tenant(c), q, n, now)
	if err != nil {
		return err
	}
	if !ok {
		setRetryAfter(c, resetAt.Sub(now))
		return &quotaError{q: q, resetAt: resetAt}
	}
	return nil
}

// spendAPI counts every admin API request against the tenant's
// api_per_minute.
func (s *Server) spendAPI(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.spend(c, s.cfg.Quotas.of(tenant(c)).api(), 1); err != nil {
			return err
		}
		return next(c)
	}
}

// usage answers GET /api/v1/usage: each quota of the tenant, its limit (0:
// none), what its window has used and when the window ends.
func (s *Server) usage(c echo.Context) error {
	l := s.cfg.Quotas.of(tenant(c))
	uses, err := s.deps.Keys.Usage(c.Request().Context(), tenant(c), []auth.Quota{l.api(), l.bulkRows(), l.exports()}, s.now())
	if err != nil {
		return err
	}
	type quotaView struct {
		Name    string    `json:"name"`
		Limit   int64     `json:"limit"`
		Used    int64     `json:"used"`
		ResetAt time.Time `json:"reset_at"`
	}
	out := make([]quotaView, len(uses))
	for i, u := range uses {
		out[i] = quotaView{Name: u.Name, Limit: u.Limit, Used: u.Used, ResetAt: u.ResetAt.UTC()}
	}
	return c.JSON(http.StatusOK, map[string]any{"tenant": tenant(c), "quotas": out})
}
