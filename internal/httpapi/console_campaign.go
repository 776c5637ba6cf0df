package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/links"
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
	Cards                           []statCard
	Chart                           template.HTML
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
	variants := map[string]int64{}
	for name, v := range rep.ByVariant {
		variants[name] = v.Scans
	}
	for _, b := range []struct {
		key string
		m   map[string]int64
	}{{"by_platform", rep.ByPlatform}, {"by_region", rep.ByRegion}, {"by_city", rep.ByCity}, {"by_os", rep.ByOS},
		{"by_channel", rep.ByChannel}, {"by_rule", rep.ByRule}, {"by_variant", variants}} {
		if len(b.m) == 0 && (b.key == "by_rule" || b.key == "by_variant") {
			continue
		}
		p.Breakdowns = append(p.Breakdowns, breakdown{Title: t[b.key], Rows: breakdownRows(b.m, t)})
	}
	if sub.link != nil {
		return s.consoleRender(c, http.StatusOK, "campaign.html", cp, p)
	}
	// The leaderboard walks the tenant's rank by scans within the
	// campaign: 20 links read, however many the campaign has.
	top, err := s.deps.Links.List(ctx, tenant(c), links.ListQuery{Campaign: sub.campaign, Sort: links.SortScans, Limit: leaderboardSize})
	if err != nil {
		return s.consoleFail(c, err)
	}
	codes := make([]string, len(top.Items))
	for i, l := range top.Items {
		codes[i] = links.Canonical(l.Code)
	}
	scans, err := s.deps.Stats.Scans(ctx, codes)
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

// consoleStatsCSV downloads what a stats page shows: the series, then each
// breakdown, for Excel (a BOM; cells made safe against formulas).
func (s *Server) consoleStatsCSV(sub func(echo.Context) (statsSubject, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		subject, err := sub(c)
		if err != nil {
			return s.consoleFail(c, err)
		}
		rep, _, _, err := s.statsReport(c, subject)
		if err != nil {
			return s.consoleFail(c, err)
		}
		var b bytes.Buffer
		b.WriteString("\ufeff")
		w := csv.NewWriter(&b)
		w.Write([]string{"section", "key", "scans", "unique_visitors"})
		for _, p := range rep.Series {
			w.Write([]string{"series", p.T, fmt.Sprint(p.Scans), fmt.Sprint(p.UniqueVisitors)})
		}
		for _, sec := range []struct {
			name string
			m    map[string]int64
		}{{"platform", rep.ByPlatform}, {"os", rep.ByOS}, {"channel", rep.ByChannel}, {"country", rep.ByCountry},
			{"region", rep.ByRegion}, {"city", rep.ByCity}, {"rule", rep.ByRule}} {
			keys := make([]string, 0, len(sec.m))
			for k := range sec.m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				w.Write([]string{sec.name, stats.SafeCell(k), fmt.Sprint(sec.m[k]), ""})
			}
		}
		for name, v := range rep.ByVariant {
			w.Write([]string{"variant", stats.SafeCell(name), fmt.Sprint(v.Scans), fmt.Sprint(v.UniqueVisitors)})
		}
		w.Write([]string{"total", "scans", fmt.Sprint(rep.Totals.Scans), fmt.Sprint(rep.Totals.UniqueVisitors)})
		w.Write([]string{"total", "opens", fmt.Sprint(rep.Totals.Opens), ""})
		w.Write([]string{"total", "conversions", fmt.Sprint(rep.Totals.Conversions), ""})
		w.Write([]string{"total", "conversion_value_fen", fmt.Sprint(rep.Totals.ConversionValue), ""})
		w.Flush()
		name := "stats.csv"
		if subject.link != nil {
			name = subject.link.Code + "-stats.csv"
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
	}
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

func delta(t consoleText, now, prior int64) string {
	switch {
	case prior == 0 && now == 0:
		return ""
	case prior == 0:
		return t["vs_prev_new"]
	}
	pct := (now - prior) * 100 / prior
	return fmt.Sprintf(t["vs_prev"], fmt.Sprintf("%+d%%", pct))
}

func breakdownRows(m map[string]int64, t consoleText) []breakdownRow {
	var rows []breakdownRow
	var top int64
	for k, v := range m {
		label := k
		if l, ok := t["p_"+k]; ok {
			label = l
		}
		if label == "" {
			label = t["unknown"]
		}
		rows = append(rows, breakdownRow{Label: label, Value: v})
		top = max(top, v)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Value != rows[j].Value {
			return rows[i].Value > rows[j].Value
		}
		return rows[i].Label < rows[j].Label
	})
	rows = rows[:min(len(rows), 12)]
	for i := range rows {
		if top > 0 {
			rows[i].Percent = int(rows[i].Value * 100 / top)
		}
	}
	return rows
}

// seriesSVG draws scans (bars) and unique visitors (a line) over time. Its
// text is numbers and dates only, written through fmt with %d and the
// escaped date, so nothing a tenant typed reaches it.
func seriesSVG(series []stats.Point, t consoleText) template.HTML {
	const w, h, left, bottom, top = 720, 220, 40, 24, 10
	var peak int64 = 1
	for _, p := range series {
		peak = max(peak, p.Scans, p.UniqueVisitors)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s" data-points="%d">`, w, h, template.HTMLEscapeString(t["scans_over_time"]), len(series))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#cfd4dc"/>`, left, h-bottom, w, h-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#6b7280" text-anchor="end">%d</text>`, left-4, top+8, peak)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#6b7280" text-anchor="end">0</text>`, left-4, h-bottom)
	n := len(series)
	if n == 0 {
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	step := float64(w-left) / float64(n)
	plot := float64(h - bottom - top)
	var line []string
	for i, p := range series {
		x := float64(left) + step*float64(i)
		bh := plot * float64(p.Scans) / float64(peak)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1663d6" opacity="0.8" data-scans="%d"><title>%s: %d</title></rect>`,
			x+step*0.15, float64(h-bottom)-bh, step*0.7, bh, p.Scans, template.HTMLEscapeString(p.T), p.Scans)
		line = append(line, fmt.Sprintf("%.1f,%.1f", x+step/2, float64(h-bottom)-plot*float64(p.UniqueVisitors)/float64(peak)))
		if n <= 12 || i%((n+11)/12) == 0 {
			label := p.T
			if len(label) >= 10 {
				label = label[5:10] // MM-DD
			}
			if strings.Contains(p.T, "T") {
				label = p.T[11:13] + "h"
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#6b7280" text-anchor="middle">%s</text>`, x+step/2, h-6, template.HTMLEscapeString(label))
		}
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#f59e0b" stroke-width="2"/>`, strings.Join(line, " "))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// consolePrint sends the campaign's print sheet (PDF), as the API's QR
// export would, with the export's limits and quotas.
func (s *Server) consolePrint(c echo.Context) error {
	body, err := json.Marshal(map[string]string{"campaign": c.Param("campaign"), "format": "pdf", "caption_from": "title"})
	if err != nil {
		return err
	}
	r := c.Request()
	r.Header.Set("Content-Type", "application/json")
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return s.qrExport(c)
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
