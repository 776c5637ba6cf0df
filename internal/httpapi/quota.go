package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/links"
)

// Limits are one tenant's quotas; 0 is no limit.
type Limits struct {
	APIPerMinute    int64
	BulkRowsPerHour int64
	ExportsPerHour  int64
	// Stored bounds what the tenant keeps; the link store enforces it
	// (links.Store.SetLimits) and /usage shows it.
	Stored links.Limits
}

// Quotas are the limits of every tenant, with overrides for some.
type Quotas struct {
	Default Limits
	Tenants map[string]Limits
}

// Of returns tenant's limits.
func (q Quotas) Of(tenant string) Limits {
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
		if err := s.spend(c, s.cfg.Quotas.Of(tenant(c)).api(), 1); err != nil {
			return err
		}
		return next(c)
	}
}

// usage answers GET /api/v1/usage: each quota of the tenant, its limit (0:
// none) and what it uses: for a rate, what its window has used and when
// the window ends; for what is stored, how much is.
func (s *Server) usage(c echo.Context) error {
	ctx := c.Request().Context()
	l := s.cfg.Quotas.Of(tenant(c))
	uses, err := s.deps.Keys.Usage(ctx, tenant(c), []auth.Quota{l.api(), l.bulkRows(), l.exports()}, s.now())
	if err != nil {
		return err
	}
	stored, err := s.deps.Links.Usage(ctx, tenant(c))
	if err != nil {
		return err
	}
	type quotaView struct {
		Name    string     `json:"name"`
		Limit   int64      `json:"limit"`
		Used    int64      `json:"used"`
		ResetAt *time.Time `json:"reset_at,omitempty"`
	}
	out := make([]quotaView, 0, len(uses)+3)
	for _, u := range uses {
		reset := u.ResetAt.UTC()
		out = append(out, quotaView{Name: u.Name, Limit: u.Limit, Used: u.Used, ResetAt: &reset})
	}
	out = append(out, quotaView{Name: "links", Limit: l.Stored.Links, Used: stored.Links},
		quotaView{Name: "campaigns", Limit: l.Stored.Campaigns, Used: stored.Campaigns},
		quotaView{Name: "tags", Limit: l.Stored.Tags, Used: stored.Tags})
	return c.JSON(http.StatusOK, map[string]any{"tenant": tenant(c), "quotas": out})
}
