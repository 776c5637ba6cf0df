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
		w.Write([]string{"section", "key", "scans", "unique_visitors", "opens", "conversions", "conversion_value_fen"})
		for _, p := range rep.Series {
			w.Write([]string{"series", p.T, fmt.Sprint(p.Scans), fmt.Sprint(p.UniqueVisitors), "", "", ""})
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
				w.Write([]string{sec.name, stats.SafeCell(k), fmt.Sprint(sec.m[k]), "", "", "", ""})
			}
		}
		names := make([]string, 0, len(rep.ByVariant))
		for name := range rep.ByVariant {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v := rep.ByVariant[name]
			w.Write([]string{"variant", stats.SafeCell(name), fmt.Sprint(v.Scans), fmt.Sprint(v.UniqueVisitors),
				fmt.Sprint(v.Opens), fmt.Sprint(v.Conversions), fmt.Sprint(v.ConversionValue)})
		}
		tot := rep.Totals
		w.Write([]string{"total", "all", fmt.Sprint(tot.Scans), fmt.Sprint(tot.UniqueVisitors),
			fmt.Sprint(tot.Opens), fmt.Sprint(tot.Conversions), fmt.Sprint(tot.ConversionValue)})
		w.Flush()
		name := "stats.csv"
		if subject.link != nil {
			name = subject.link.Code + "-stats.csv"
		}
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
	}
}
