package httpapi

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/stats"
)

// The console's campaign page: the campaign's totals with the previous
// period's, its scans over time (an SVG drawn here: no script, nothing
// for the CSP to allow), breakdowns by host app, province and city, OS
// and channel, and a leaderboard of its links; and its print sheet.

const consoleDefaultTZ = "Asia/Shanghai"

type statCard struct {
	Key, Label, Value, Delta string
}

type breakdownRow struct {
	Label   string
	Value   int64
	Percent int
}

type breakdown struct {
	Title string
	Rows  []breakdownRow
}

type leader struct {
	Code, Title string
	Scans       int64
}

type campaignPage struct {
	consolePage
	Code, Base, CSV                 string // Code: a link's page (else a campaign's)
	Name, From, To, Granularity, TZ string
	CanWrite                        bool
	SunCodes                        bool // a WeChat app is registered: sun codes can be printed
	Cards                           []statCard
	Chart, Funnel                   template.HTML
	Variants                        []variantRow // the A/B split's funnels, side by side
	Breakdowns                      []breakdown
	Leaders                         []leader
}

func (p campaignPage) setPage(cp consolePage) any { p.consolePage = cp; return p }

// leaderboardSize is how many of a campaign's links its page ranks.
const leaderboardSize = 20

func (s *Server) consoleCampaign(c echo.Context) error {
	name := c.Param("campaign")
	if err := links.CheckCampaign(name); err != nil {
		return s.consoleError(c, http.StatusNotFound, "not_found", "not_found_text")
	}
	if err := s.campaignKnown(c, name); err != nil {
		return s.consoleFail(c, err)
	}
	return s.consoleStats(c, statsSubject{campaign: name})
}

// consoleLinkStats is the same page for one link.
func (s *Server) consoleLinkStats(c echo.Context) error {
	l, err := s.deps.Links.Get(c.Request().Context(), tenant(c), c.Param("code"))
	if err != nil {
		return s.consoleFail(c, err)
	}
	return s.consoleStats(c, statsSubject{link: l})
}

// statsSubject is what a stats page reports on: a campaign or a link.
type statsSubject struct {
	campaign string
	link     *links.Link
}

func (sub statsSubject) report(s *Server, c echo.Context, q stats.Query) (*stats.Report, error) {
	if sub.link != nil {
		return s.deps.Stats.LinkStats(c.Request().Context(), tenant(c), links.Canonical(sub.link.Code), q)
	}
	return s.deps.Stats.CampaignStats(c.Request().Context(), tenant(c), sub.campaign, q)
}

// statsReport reads the page's range (default: the 30 days to today in
// Asia/Shanghai) and its report.
func (s *Server) statsReport(c echo.Context, sub statsSubject) (*stats.Report, string, string, error) {
	tz := c.QueryParam("tz")
	if tz == "" {
		tz = consoleDefaultTZ
	}
	gran := c.QueryParam("granularity")
	if gran == "" {
		gran = "day"
	}
	q, err := stats.ParseQuery(c.QueryParam("from"), c.QueryParam("to"), gran, tz, s.now())
	if err != nil {
		return nil, tz, gran, err
	}
	rep, err := sub.report(s, c, q)
	return rep, tz, gran, err
}

func (s *Server) consoleStats(c echo.Context, sub statsSubject) error {
	ctx := c.Request().Context()
	t := consoleTexts[consoleLang(c.Request())]
	p := campaignPage{Name: sub.campaign, Granularity: c.QueryParam("granularity"), CanWrite: canWrite(c)}
	cp := consolePage{Title: sub.campaign, Nav: "links"}
	p.Base = "/console/campaigns/" + sub.campaign
	p.CSV = p.Base + "/stats.csv"
	if sub.link != nil {
		p.Code, p.Base, cp.Title = sub.link.Code, "/console/links/"+sub.link.Code+"/stats", sub.link.Code
		p.CSV = p.Base + ".csv"
	}
	rep, tz, gran, err := s.statsReport(c, sub)
	p.TZ = tz
	if err != nil {
		var fe *stats.FieldError
		if errors.As(err, &fe) {
			cp.Error = err.Error()
			return s.consoleRender(c, http.StatusUnprocessableEntity, "campaign.html", cp, p)
		}
		return s.consoleFail(c, err)
	}
	p.From, p.To = rep.From, rep.To
	prev := s.previousTotals(c, sub, rep, gran, tz)
	money := func(fen int64) string { return fmt.Sprintf("¥%d.%02d", fen/100, fen%100) }
	for _, card := range []struct {
		key        string
		now, prior int64
		format     func(int64) string
	}{
		{"scans", rep.Totals.Scans, prev.Scans, nil},
		{"unique_visitors", rep.Totals.UniqueVisitors, prev.UniqueVisitors, nil},
		{"opens", rep.Totals.Opens, prev.Opens, nil},
		{"conversions", rep.Totals.Conversions, prev.Conversions, nil},
		{"conversion_value", rep.Totals.ConversionValue, prev.ConversionValue, money},
	} {
		v := fmt.Sprint(card.now)
		if card.format != nil {
			v = card.format(card.now)
		}
		p.Cards = append(p.Cards, statCard{Key: card.key, Label: t["t_"+card.key], Value: v, Delta: delta(t, card.now, card.prior)})
	}
	p.Chart = seriesSVG(rep.Series, t)
	p.Funnel = funnelSVG(rep.Totals, t)
	p.Variants = variantRows(rep.ByVariant, money)
	// Each breakdown's keys as the page's language names them.
	text := func(prefix string) func(string) string {
		return func(k string) string { return cmp.Or(t[prefix+k], k) }
	}
	lang := consoleLang(c.Request())
	place := func(k string) string { return placeName(lang, k) }
	for _, b := range []struct {
		key   string
		m     map[string]int64
		label func(string) string
	}{{"by_platform", rep.ByPlatform, text("p_")}, {"by_region", rep.ByRegion, place}, {"by_city", rep.ByCity, place},
		{"by_os", rep.ByOS, text("os_")}, {"by_channel", rep.ByChannel, text("ch_")}, {"by_rule", rep.ByRule, func(k string) string { return k }}} {
		if len(b.m) == 0 && b.key == "by_rule" {
			continue
		}
		p.Breakdowns = append(p.Breakdowns, breakdown{Title: t[b.key], Rows: breakdownRows(b.m, t, b.label)})
	}
	if sub.link != nil {
		return s.consoleRender(c, http.StatusOK, "campaign.html", cp, p)
	}
	if p.CanWrite && s.deps.Apps != nil {
		if list, err := s.deps.Apps.List(ctx, tenant(c)); err == nil {
			p.SunCodes = slices.ContainsFunc(list, func(a apps.App) bool { return a.Platform == apps.WeChat })
		}
	}
	// The leaderboard walks the tenant's rank by scans within the
	// campaign: 20 links read, however many the campaign has.
	top, err := s.deps.Links.List(ctx, tenant(c), links.ListQuery{Campaign: sub.campaign, Sort: links.SortScans, Limit: leaderboardSize})
	if err != nil {
		return s.consoleFail(c, err)
	}
	scans, err := s.scansOf(ctx, top.Items...)
	if err != nil {
		return s.consoleFail(c, err)
	}
	for _, l := range top.Items {
		p.Leaders = append(p.Leaders, leader{Code: l.Code, Title: l.Title, Scans: scans[links.Canonical(l.Code)]})
	}
	sort.SliceStable(p.Leaders, func(i, j int) bool { return p.Leaders[i].Scans > p.Leaders[j].Scans })
	p.Leaders = p.Leaders[:min(len(p.Leaders), leaderboardSize)]
	return s.consoleRender(c, http.StatusOK, "campaign.html", cp, p)
}

// previousTotals are the totals of the period of the same length just
// before the report's (zero when it cannot be read: the comparison is
// left out, not the page).
func (s *Server) previousTotals(c echo.Context, sub statsSubject, rep *stats.Report, gran, tz string) stats.Totals {
	from, err1 := stats.ParseDate(rep.From)
	to, err2 := stats.ParseDate(rep.To)
	if err1 != nil || err2 != nil {
		return stats.Totals{}
	}
	days := 1
	for d := from; d.Before(to) && days <= 400; d = d.AddDays(1) {
		days++
	}
	q, err := stats.ParseQuery(from.AddDays(-days).String(), from.AddDays(-1).String(), gran, tz, s.now())
	if err != nil {
		return stats.Totals{}
	}
	prev, err := sub.report(s, c, q)
	if err != nil {
		return stats.Totals{}
	}
	return prev.Totals
}

// printFormats are the campaign's downloads, as the API's QR export
// makes them: the print sheet, zips of PNG or SVG images, and with a
// WeChat app registered, WeChat sun codes (a zip, or on the sheet).
var printFormats = []string{"pdf", "png", "svg", "wxacode", "pdf_wxacode"}

// consolePrint sends the campaign's print sheet (PDF) or a zip of its
// codes, as the API's QR export would, with the export's limits and
// quotas.
func (s *Server) consolePrint(c echo.Context) error {
	req := exportRequest{Campaign: c.Param("campaign"), CaptionFrom: captionFromTitle}
	switch f := c.FormValue("format"); f {
	case "", "pdf":
		req.Format = string(qr.PDF)
	case "pdf_wxacode":
		req.Format, req.SunCodes = string(qr.PDF), true
	case "png", "svg", "wxacode":
		req.Format = f
	default:
		return s.consoleFail(c, &links.FieldError{Name: "format", Message: "must be one of " + strings.Join(printFormats, ", ")})
	}
	if err := s.exportQR(c, req); err != nil {
		return s.consoleFail(c, err) // a quota or a limit, shown on a page
	}
	return nil
}

func (s *Server) campaignSubject(c echo.Context) (statsSubject, error) {
	name := c.Param("campaign")
	if err := links.CheckCampaign(name); err != nil {
		return statsSubject{}, links.ErrNotFound
	}
	if err := s.campaignKnown(c, name); err != nil {
		return statsSubject{}, err
	}
	return statsSubject{campaign: name}, nil
}

func (s *Server) linkSubject(c echo.Context) (statsSubject, error) {
	l, err := s.deps.Links.Get(c.Request().Context(), tenant(c), c.Param("code"))
	return statsSubject{link: l}, err
}
