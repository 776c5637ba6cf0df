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
// MaxCities regions, of a link's day keep their names, whatever else the
// scans that name them differ in (host app, OS...); later new ones count
// as "other", across batches and writers. Geography comes from the event
// as the request path set it.
func TestLabelCaps(t *testing.T) {
	type place struct{ country, region, city string }
	sh, bj, gz := place{"CN", "Shanghai", "Shanghai"}, place{"CN", "Beijing", "Beijing"}, place{"CN", "广东", "广州"}
	us, none := place{"US", "", ""}, place{}
	places := []place{sh, sh, bj, us, sh, bj, us, none, gz, sh}
	tests := []struct {
		name                              string
		maxCities                         int
		wantCountry, wantRegion, wantCity map[string]int64
	}{
		{"under the cap", 0, map[string]int64{"CN": 7, "US": 2},
			map[string]int64{"Shanghai": 4, "Beijing": 2, "广东": 1}, map[string]int64{"Shanghai": 4, "Beijing": 2, "广州": 1}},
		{"capped", 2, map[string]int64{"CN": 7, "US": 2},
			map[string]int64{"Shanghai": 4, "Beijing": 2, "other": 1}, map[string]int64{"Shanghai": 4, "Beijing": 2, "other": 1}},
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
				if i == len(places)-1 {
					// A kept city, past the cap, from another host app.
					e.Platform, e.OS = "douyin", "android"
				}
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
			if rep.Totals.Scans != int64(len(places)) || rep.ByPlatform["douyin"] != 1 {
				t.Errorf("scans = %d, douyin %d; want %d and 1", rep.Totals.Scans, rep.ByPlatform["douyin"], len(places))
			}
		})
	}
	for _, tt := range []struct {
		name                 string
		maxCities, maxCombos int
		wantCities           int
	}{
		{"a flood of cities", 50, 0, 51},
		{"a flood of combinations", 0, 50, 51},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// 3,000 distinct cities in a few batches: the day keeps 50 of
			// them and "other" (by the cap on names, or the safety net on
			// combinations), loses no scan, and stays small.
			rdb := srv.Client(t)
			cfg := longRetention(testConfig())
			cfg.MaxCities, cfg.MaxCombinations = tt.maxCities, tt.maxCombos
			rec := startRecorder(t, rdb, cfg, nil)
			for i := range 3000 {
				e := testEvent(0)
				e.Code, e.Country, e.Region, e.City, e.Rule = "FLOOD", "CN", "广东", fmt.Sprintf("city%04d", i), ""
				rec.Record(e)
			}
			closeRecorder(t, rec)
			rep := dayReport(t, rdb, cfg, "FLOOD")
			if rep.Totals.Scans != 3000 || len(rep.ByCity) != tt.wantCities || rep.ByCity["other"] != 3000-50 {
				t.Errorf("scans %d, %d cities, other %d; want 3000, %d, %d", rep.Totals.Scans, len(rep.ByCity),
					rep.ByCity["other"], tt.wantCities, 3000-50)
			}
			ctx := context.Background()
			day := dayKey(linkTag("FLOOD"), DateOf(testBase))
			if n := rdb.HLen(ctx, day).Val(); n > 600 {
				t.Errorf("the day's hash has %d fields, want it bounded by the caps", n)
			}
			if ns, _ := rdb.HGet(ctx, day, "ns").Int(); ns > 51 {
				t.Errorf("ns = %d, want at most the 50 kept and the folded one", ns)
			}
		})
	}
	t.Run("variants of opens and conversions", func(t *testing.T) {
		rdb := srv.Client(t)
		cfg := longRetention(testConfig())
		rec := startRecorder(t, rdb, cfg, nil)
		want := VariantStats{}
		for i := range maxLabels + 2 {
			e := testEvent(0)
			e.Code, e.Type, e.Variant = "OPENS", Open, fmt.Sprintf("v%03d", i)
			rec.Record(e)
		}
		closeRecorder(t, rec)
		got := dayReport(t, rdb, cfg, "OPENS").ByVariant
		want.Opens = 2
		if len(got) != maxLabels+1 || got["other"] != want {
			t.Errorf("%d variants, other %+v; want %d and 2 opens under other", len(got), got["other"], maxLabels+1)
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
