package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
)

// The console's links list.

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
	Tag           string
	States, Sorts []selectOption
	// Campaigns and Tags are the tenant's names, suggested by the filters.
	Campaigns, Tags []string
	Items           []linkRow
	Next            string
}

func (p linksPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

// filterSuggestions bounds the campaign and tag names the filters
// suggest (a tenant may have 2,000 of each; any can be typed).
const filterSuggestions = 200

// consoleLinks lists the tenant's links: search, campaign, tag, state,
// sort, pages, and each link's scans.
func (s *Server) consoleLinks(c echo.Context) error {
	ctx := c.Request().Context()
	t := consoleTexts[consoleLang(c.Request())]
	p := links.ListParams{Campaign: strings.TrimSpace(c.QueryParam("campaign")), Tag: strings.TrimSpace(c.QueryParam("tag")),
		Status: c.QueryParam("status"), Q: strings.TrimSpace(c.QueryParam("q")), Sort: c.QueryParam("sort"), Cursor: c.QueryParam("cursor")}
	page := linksPage{Q: p.Q, Campaign: p.Campaign, Tag: p.Tag, CanWrite: canWrite(c), Here: c.Request().URL.RequestURI()}
	var err error
	if page.Campaigns, page.Tags, err = s.deps.Links.Names(ctx, tenant(c), filterSuggestions); err != nil {
		return s.consoleFail(c, err)
	}
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
			scans, serr := s.scansOf(ctx, res.Items...)
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
