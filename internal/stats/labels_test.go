package stats

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// TestLabelCaps: the first MaxCities cities, and apart from them the first
// MaxCities regions, of a link's day keep their names, and so do the
// first maxLabels rules; later new ones count as "other", across batches
// and writers. Geography comes from the event as the request path set it.
func TestLabelCaps(t *testing.T) {
	type place struct{ country, region, city string }
	sh, bj, gz := place{"CN", "Shanghai", "Shanghai"}, place{"CN", "Beijing", "Beijing"}, place{"CN", "广东", "广州"}
	us, none := place{"US", "", ""}, place{}
	places := []place{sh, sh, bj, us, sh, bj, us, none, gz}
	tests := []struct {
		name                              string
		maxCities                         int
		wantCountry, wantRegion, wantCity map[string]int64
	}{
		{"under the cap", 0, map[string]int64{"CN": 6, "US": 2},
			map[string]int64{"Shanghai": 3, "Beijing": 2, "广东": 1}, map[string]int64{"Shanghai": 3, "Beijing": 2, "广州": 1}},
		{"capped", 2, map[string]int64{"CN": 6, "US": 2},
			map[string]int64{"Shanghai": 3, "Beijing": 2, "other": 1}, map[string]int64{"Shanghai": 3, "Beijing": 2, "other": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb := srv.Client(t)
			cfg := longRetention(testConfig())
			cfg.MaxCities = tt.maxCities
			rec := startRecorder(t, rdb, cfg, nil)
			// The cap keeps the first names seen: record them in order.
			for i, p := range places {
				e := testEvent(0)
				e.Code, e.Country, e.Region, e.City, e.Rule = "GEO", p.country, p.region, p.city, ""
				if !rec.Record(e) {
					t.Fatalf("Record(%d) dropped", i)
				}
				if i == 5 { // the cap holds across batches and writers
					closeRecorder(t, rec)
					rec = startRecorder(t, rdb, cfg, nil)
				}
			}
			closeRecorder(t, rec)
			rep := dayReport(t, rdb, cfg, "GEO")
			for _, d := range []struct {
				name      string
				want, got map[string]int64
			}{{"by_country", tt.wantCountry, rep.ByCountry}, {"by_region", tt.wantRegion, rep.ByRegion}, {"by_city", tt.wantCity, rep.ByCity}} {
				if diff := cmp.Diff(d.want, d.got); diff != "" {
					t.Errorf("%s mismatch (-want +got):\n%s", d.name, diff)
				}
			}
			if rep.Totals.Scans != int64(len(places)) {
				t.Errorf("scans = %d, want %d", rep.Totals.Scans, len(places))
			}
		})
	}
	t.Run("rules", func(t *testing.T) {
		rdb := srv.Client(t)
		cfg := longRetention(testConfig())
		rec := startRecorder(t, rdb, cfg, nil)
		want := map[string]int64{"other": 2}
		for i := range maxLabels + 2 {
			e := testEvent(0)
			e.Code, e.Rule = "RULES", fmt.Sprintf("rule%03d", i)
			if i < maxLabels {
				want[e.Rule] = 1
			}
			rec.Record(e)
		}
		closeRecorder(t, rec)
		if diff := cmp.Diff(want, dayReport(t, rdb, cfg, "RULES").ByRule); diff != "" {
			t.Errorf("by_rule mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestLabelsAreBounded: a label longer than maxDimensionLen is cut, on a
// character boundary.
func TestLabelsAreBounded(t *testing.T) {
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	rec := startRecorder(t, rdb, cfg, nil)
	long := strings.Repeat("上", 30) // 90 bytes
	e := testEvent(0)
	e.Code, e.Country, e.Region, e.City, e.Rule, e.Variant = "LONG", long, long, long, long, long
	rec.Record(e)
	closeRecorder(t, rec)
	cut := strings.Repeat("上", maxDimensionLen/3)
	rep := dayReport(t, rdb, cfg, "LONG")
	for name, m := range map[string]map[string]int64{"country": rep.ByCountry, "region": rep.ByRegion, "city": rep.ByCity, "rule": rep.ByRule} {
		if diff := cmp.Diff(map[string]int64{cut: 1}, m); diff != "" {
			t.Errorf("by_%s mismatch (-want +got):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff(map[string]VariantStats{cut: {Scans: 1, UniqueVisitors: 1}}, rep.ByVariant); diff != "" {
		t.Errorf("by_variant mismatch (-want +got):\n%s", diff)
	}
}

// dayReport is the report of link code on testBase's day.
func dayReport(tb testing.TB, rdb redis.UniversalClient, cfg Config, code string) *Report {
	tb.Helper()
	rep, err := NewQuerier(rdb, cfg).LinkStats(context.Background(), "t1", code,
		Query{From: DateOf(testBase), To: DateOf(testBase), Now: testBase})
	if err != nil {
		tb.Fatalf("LinkStats(%s): %v", code, err)
	}
	return rep
}
