package httpapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/stats"
)

// The stats pages' CSV download.

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
