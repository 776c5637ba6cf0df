package httpapi

import (
	"bytes"
	"fmt"
	"html/template"
	"sort"
	"strings"

	"github.com/scangate/scangate/internal/stats"
)

// The stats pages' drawing: the chart, the breakdown bars, the change
// against the previous period.

// seriesSVG draws scans (bars) and unique visitors (a line) over time. Its
// text is numbers and dates only, written through fmt with %d and the
// escaped date, so nothing a tenant typed reaches it.
func seriesSVG(series []stats.Point, t consoleText) template.HTML {
	// Drawn for a phone (its text at about the size written); a desktop
	// shows it at most 1.5× (console.css).
	const w, h, left, bottom, top = 480, 200, 40, 22, 10
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

// funnelSVG draws the funnel scan → open → conversion, each step a bar
// as wide as its count against the widest, labelled with its count and
// its share of the step before. Like seriesSVG, its text is numbers and
// the console's own labels only.
func funnelSVG(tot stats.Totals, t consoleText) template.HTML {
	// Drawn at a phone's width, so that its text reads at the size it is
	// written in there; a desktop shows it at most 1.5× (console.css).
	const w, rowH, barH, label = 380, 34, 24, 112
	steps := []struct {
		key string
		n   int64
	}{{"scans", tot.Scans}, {"opens", tot.Opens}, {"conversions", tot.Conversions}}
	peak := max(tot.Scans, tot.Opens, tot.Conversions, 1)
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" role="img" aria-label="%s">`, w, rowH*len(steps), template.HTMLEscapeString(t["funnel"]))
	for i, st := range steps {
		y := i * rowH
		bw := float64(w-label-10) * float64(st.n) / float64(peak)
		x := float64(label) + (float64(w-label-10)-bw)/2
		fmt.Fprintf(&b, `<text x="0" y="%d" font-size="12" fill="#1d2129">%s</text>`, y+barH/2+4, template.HTMLEscapeString(t["t_"+st.key]))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="#1663d6" opacity="%.2f" data-step="%s" data-n="%d"/>`,
			x, y, bw, barH, 0.9-0.2*float64(i), st.key, st.n)
		share := ""
		if i > 0 && steps[i-1].n > 0 {
			share = fmt.Sprintf(" · %.1f%%", float64(st.n)*100/float64(steps[i-1].n))
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#1d2129" text-anchor="middle" font-weight="600">%d%s</text>`,
			label+(w-label-10)/2, y+barH/2+4, st.n, share)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// variantRow compares one A/B variant's funnel with the others'.
type variantRow struct {
	Name                                 string
	Scans, Visitors, Opens, Conversions  int64
	OpenRate, ConversionRate, Value, Per string
}

func variantRows(m map[string]stats.VariantStats, money func(int64) string) []variantRow {
	rate := func(n, of int64) string {
		if of == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", float64(n)*100/float64(of))
	}
	var rows []variantRow
	for name, v := range m {
		per := "–"
		if v.Scans > 0 {
			per = money(v.ConversionValue / v.Scans)
		}
		rows = append(rows, variantRow{Name: name, Scans: v.Scans, Visitors: v.UniqueVisitors, Opens: v.Opens, Conversions: v.Conversions,
			OpenRate: rate(v.Opens, v.Scans), ConversionRate: rate(v.Conversions, v.Scans), Value: money(v.ConversionValue), Per: per})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows
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

// breakdownRows are a breakdown's largest entries, each key labelled by
// name (in the console's language); an empty key is unknown.
func breakdownRows(m map[string]int64, t consoleText, name func(string) string) []breakdownRow {
	var rows []breakdownRow
	var top int64
	for k, v := range m {
		label := name(k)
		if k == "" {
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
