package stats

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// TestLabelCaps: the first MaxCombinations combinations of scan labels of
// a link's day keep their names; a later new one counts with region and
// city "other" (one with no region or city is kept as it is), across
// batches and writers. Geography comes from the event as the request path
// set it.
func TestLabelCaps(t *testing.T) {
	type place struct{ country, region, city string }
	sh, bj, gz := place{"CN", "Shanghai", "Shanghai"}, place{"CN", "Beijing", "Beijing"}, place{"CN", "广东", "广州"}
	us, none := place{"US", "", ""}, place{}
	places := []place{sh, sh, bj, us, sh, bj, us, none, gz}
	tests := []struct {
		name                              string
		maxCombinations                   int
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
			cfg.MaxCombinations = tt.maxCombinations
			rec := startRecorder(t, rdb, cfg, nil)
			// The cap keeps the first combinations seen: record them in order.
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
	t.Run("a flood of cities", func(t *testing.T) {
		// 3,000 distinct cities in one batch and the next: the day's hash
		// keeps MaxCombinations of them and one "other", and loses no scan.
		rdb := srv.Client(t)
		cfg := longRetention(testConfig())
		cfg.MaxCombinations = 50
		rec := startRecorder(t, rdb, cfg, nil)
		for i := range 3000 {
			e := testEvent(0)
			e.Code, e.Country, e.Region, e.City, e.Rule = "FLOOD", "CN", "广东", fmt.Sprintf("city%04d", i), ""
			rec.Record(e)
		}
		closeRecorder(t, rec)
		rep := dayReport(t, rdb, cfg, "FLOOD")
		if rep.Totals.Scans != 3000 || len(rep.ByCity) != 51 || rep.ByCity["other"] != 3000-50 {
			t.Errorf("scans %d, %d cities, other %d; want 3000, 51, %d", rep.Totals.Scans, len(rep.ByCity), rep.ByCity["other"], 3000-50)
		}
		if n := rdb.HLen(context.Background(), dayKey(linkTag("FLOOD"), DateOf(testBase))).Val(); n > 52 {
			t.Errorf("the day's hash has %d fields, want at most the cap, the folded one and the count", n)
		}
	})
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
