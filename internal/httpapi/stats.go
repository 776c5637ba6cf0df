package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/stats"
)

func (s *Server) parseStatsQuery(c echo.Context) (stats.Query, error) {
	return stats.ParseQuery(c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("granularity"), c.QueryParam("tz"), s.now())
}

// linkStats answers GET /api/v1/links/{code}/stats. A deleted link's stats
// stay readable by its owner while its tombstone lives (30 days).
func (s *Server) linkStats(c echo.Context) error {
	ctx := c.Request().Context()
	l, err := s.deps.Links.Owned(ctx, tenant(c), c.Param("code"))
	if err != nil {
		return err
	}
	q, err := s.parseStatsQuery(c)
	if err != nil {
		return err
	}
	r, err := s.deps.Stats.LinkStats(ctx, l.Tenant, links.Canonical(l.Code), q)
	if err != nil {
		return err
	}
	r.Code = l.Code
	return c.JSON(http.StatusOK, r)
}

// campaignStats answers GET /api/v1/campaigns/{campaign}/stats: the sums
// over the campaign's links, with each visitor counted once across them.
// Campaign keys are per tenant, so a name another tenant also uses shows
// only this tenant's scans.
func (s *Server) campaignStats(c echo.Context) error {
	campaign := c.Param("campaign")
	if err := links.CheckCampaign(campaign); err != nil {
		return err
	}
	q, err := s.parseStatsQuery(c)
	if err != nil {
		return err
	}
	if err := s.campaignKnown(c, campaign); err != nil {
		return err
	}
	r, err := s.deps.Stats.CampaignStats(c.Request().Context(), tenant(c), campaign, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// eventsCSV streams the tenant's raw events. Errors before the first row
// are ordinary error responses; after it, the connection is cut so a
// client never mistakes a truncated file for a whole one.
func (s *Server) eventsCSV(c echo.Context) error {
	ctx := c.Request().Context()
	f := stats.ExportFilter{Tenant: tenant(c), Campaign: c.QueryParam("campaign")}
	if f.Campaign != "" {
		if err := links.CheckCampaign(f.Campaign); err != nil {
			return err
		}
		if err := s.campaignKnown(c, f.Campaign); err != nil {
			return err
		}
	}
	if code := c.QueryParam("code"); code != "" {
		l, err := s.deps.Links.Owned(ctx, f.Tenant, code)
		if err != nil {
			return err
		}
		f.Code = links.Canonical(l.Code)
	}
	q, err := s.parseStatsQuery(c)
	if err != nil {
		return err
	}
	f.Query = q
	switch c.QueryParam("bom") {
	case "", "1":
		f.BOM = true
	case "0":
	default:
		return &fieldError{"bom", "must be 1 (a byte-order mark first, for Excel) or 0"}
	}
	// A stream of a month of events takes seconds: bounded like the other
	// exports, in all and per tenant.
	if err := s.spend(c, s.cfg.Quotas.Of(f.Tenant).exports(), 1); err != nil {
		return err
	}
	release, err := s.exports.take(f.Tenant)
	if err != nil {
		return err
	}
	defer release()
	name := "scangate-events.csv"
	if !q.From.IsZero() && !q.To.IsZero() {
		name = "scangate-events-" + q.From.String() + "-" + q.To.String() + ".csv"
	}
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	err = s.deps.Stats.ExportCSV(ctx, c.Response(), f)
	if err == nil {
		return nil
	}
	if !c.Response().Committed {
		// The error goes out as JSON: it must not be saved as the file.
		h.Del("Content-Disposition")
		h.Del("Content-Type")
		return err
	}
	if errors.Is(err, ctx.Err()) {
		s.log.Warn("events.csv: client went away", "err", err)
	} else {
		s.log.Error("events.csv failed mid-stream", "err", err)
	}
	panic(http.ErrAbortHandler)
}

// scansOf are the all-time scans of links, by canonical code.
func (s *Server) scansOf(ctx context.Context, ls ...*links.Link) (map[string]int64, error) {
	codes := make([]string, len(ls))
	for i, l := range ls {
		codes[i] = links.Canonical(l.Code)
	}
	return s.deps.Stats.Scans(ctx, codes)
}

// scanCounts are the all-time scans of links, for the links API.
func (s *Server) scanCounts(c echo.Context, ls ...*links.Link) map[string]int64 {
	counts, err := s.scansOf(c.Request().Context(), ls...)
	if err != nil {
		// The link itself is more important than its counter: show it,
		// with scans omitted, rather than fail.
		s.log.Warn("scan counts unavailable", "err", err)
		return nil
	}
	return counts
}

// campaignKnown is nil for a campaign of the tenant's that has live links
// or has had events; else a 404 (names are case-sensitive): a misspelt
// campaign must not answer a report of zeros.
func (s *Server) campaignKnown(c echo.Context, campaign string) error {
	ctx, t := c.Request().Context(), tenant(c)
	ok, err := s.deps.Links.CampaignKnown(ctx, t, campaign)
	if err != nil || ok {
		return err
	}
	if ok, err = s.deps.Stats.CampaignSeen(ctx, t, campaign); err != nil || ok {
		return err
	}
	return errNotFound
}
