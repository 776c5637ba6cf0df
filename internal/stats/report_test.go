package stats

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
)

// TestReportTimeZones: a scan at 2026-11-01T17:30Z is on 2026-11-01 in UTC,
// where the counters are kept, and on 2026-11-02 in Shanghai; hourly
// counters let a report use either, until they expire.
func TestReportTimeZones(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	rec := startRecorder(t, rdb, cfg, nil)
	e := testEvent(0)
	e.Code, e.Time = "TZ", time.Date(2026, 11, 1, 17, 30, 0, 0, time.UTC)
	rec.Record(e)
	closeRecorder(t, rec)

	querier := NewQuerier(rdb, testConfig()) // hourly detail kept for 30 days
	soon := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	late := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC) // hours of Nov 1 expired
	tests := []struct {
		name               string
		from, to, gran, tz string
		now                time.Time
		wantTZ             string
		wantNote           bool
		wantSeries         []Point
	}{
		{"UTC days", "2026-11-01", "2026-11-02", "day", "", soon, "UTC", false,
			[]Point{{"2026-11-01", 1, 1}, {"2026-11-02", 0, 0}}},
		{"Shanghai days from hours", "2026-11-01", "2026-11-02", "day", "Asia/Shanghai", soon, "Asia/Shanghai", false,
			[]Point{{"2026-11-01", 0, 0}, {"2026-11-02", 1, 1}}},
		{"Shanghai after hourly retention", "2026-11-01", "2026-11-02", "day", "Asia/Shanghai", late, "UTC", true,
			[]Point{{"2026-11-01", 1, 1}, {"2026-11-02", 0, 0}}},
		{"Shanghai hours are UTC instants", "2026-11-02", "2026-11-02", "hour", "Asia/Shanghai", soon, "Asia/Shanghai", false,
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery(tt.from, tt.to, tt.gran, tt.tz, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := querier.LinkStats(ctx, "t1", "TZ", q)
			if err != nil {
				t.Fatalf("LinkStats: %v", err)
			}
			if rep.TZ != tt.wantTZ || (rep.TZNote != "") != tt.wantNote {
				t.Errorf("tz = %q, note %q; want %q, note %v", rep.TZ, rep.TZNote, tt.wantTZ, tt.wantNote)
			}
			if tt.gran == "hour" {
				// Shanghai's 2026-11-02 is 2026-11-01T16:00Z to 2026-11-02T16:00Z.
				if len(rep.Series) != 24 || rep.Series[0].T != "2026-11-01T16:00:00Z" || rep.Series[1] != (Point{"2026-11-01T17:00:00Z", 1, 1}) {
					t.Errorf("hourly series = %v, want 24 hours from 2026-11-01T16:00:00Z with the scan at 17:00", rep.Series)
				}
				return
			}
			if diff := cmp.Diff(tt.wantSeries, rep.Series); diff != "" {
				t.Errorf("series mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVariantVisitorsByHourAndZone: variants' visitors are kept per
// storage day, so a report by hour, or by days of another zone, counts
// those of the storage days it touches; their scans come from the hourly
// counters like every other scan.
func TestVariantVisitorsByHourAndZone(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	rec := startRecorder(t, rdb, cfg, nil)
	at := time.Date(2026, 11, 1, 17, 30, 0, 0, time.UTC) // 2026-11-02 in Shanghai
	for i, v := range []string{"A", "A", "B"} {
		e := testEvent(0)
		e.Code, e.Time, e.Variant = "VZ", at.Add(time.Duration(i)*time.Minute), v
		e.IP = visitorAddr.Next()
		if i > 0 {
			e.IP = otherAddr
		}
		rec.Record(e)
	}
	o := testEvent(3) // an open
	o.Code, o.Time, o.Variant = "VZ", at, "B"
	rec.Record(o)
	closeRecorder(t, rec)

	querier := NewQuerier(rdb, testConfig())
	now := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	want := map[string]VariantStats{"A": {Scans: 2, UniqueVisitors: 2}, "B": {Scans: 1, UniqueVisitors: 1, Opens: 1}}
	for _, tt := range []struct{ name, from, to, gran, tz string }{
		{"UTC days", "2026-11-01", "2026-11-01", "day", ""},
		{"Shanghai days from hours", "2026-11-02", "2026-11-02", "day", "Asia/Shanghai"},
		{"hours", "2026-11-01", "2026-11-01", "hour", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ParseQuery(tt.from, tt.to, tt.gran, tt.tz, now)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := querier.LinkStats(ctx, "t1", "VZ", q)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, rep.ByVariant); diff != "" {
				t.Errorf("by_variant mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReportErrors(t *testing.T) {
	querier := NewQuerier(srv.Client(t), testConfig())
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	q, err := ParseQuery("2026-09-01", "2026-09-02", "hour", "", now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = querier.LinkStats(context.Background(), "t1", "X", q)
	var fe interface{ Field() string }
	if !errors.As(err, &fe) || fe.Field() != "from" {
		t.Errorf("hourly report beyond hourly retention: error %v, want a field error on from", err)
	}
	down := NewQuerier(newDownClient(t), testConfig())
	if _, err := down.LinkStats(context.Background(), "t1", "X", Query{Now: now}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("LinkStats with Redis down: error %v, want ErrUnavailable", err)
	}
	if _, err := down.Scans(context.Background(), []string{"X"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Scans with Redis down: error %v, want ErrUnavailable", err)
	}
}

// TestReportJSON pins the shape of api.md.
func TestReportJSON(t *testing.T) {
	rdb := srv.Client(t)
	rep, err := NewQuerier(rdb, testConfig()).LinkStats(context.Background(), "t1", "EMPTY",
		Query{From: Date{2026, 11, 1}, To: Date{2026, 11, 1}, Now: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"code":"EMPTY","from":"2026-11-01","to":"2026-11-01","granularity":"day","tz":"UTC",` +
		`"totals":{"scans":0,"unique_visitors":0,"opens":0,"conversions":0,"conversion_value":0},` +
		`"series":[{"t":"2026-11-01","scans":0,"unique_visitors":0}],"by_platform":{},"by_os":{},` +
		`"by_channel":{"app":0,"gateway":0},"by_country":{},"by_region":{},"by_city":{},"by_rule":{},"by_variant":{}}`
	if string(b) != want {
		t.Errorf("JSON:\n%s\nwant:\n%s", b, want)
	}
}

// TestRetention checks that every key expires when its data is due to:
// Retention after the end of its day, HourlyRetention after the end of its
// hour. Those are instants fixed by the events' time, so the events carry
// one, and each key's expiry is read as Redis's clock plus its time to live.
func TestRetention(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := longRetention(testConfig()) // the events' day and hour have not expired
	cfg.HourlyRetention = cfg.Retention / 2
	cfg.StreamMaxLen = 10
	at := time.Date(2026, 11, 1, 17, 30, 0, 0, time.UTC)
	rec := startRecorder(t, rdb, cfg, nil)
	for i := range 1000 {
		e := testEvent(i)
		e.Code, e.Time = "RET", at
		rec.Record(e)
	}
	closeRecorder(t, rec)

	dayExpiry := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Add(cfg.Retention)
	hourExpiry := time.Date(2026, 11, 1, 18, 0, 0, 0, time.UTC).Add(cfg.HourlyRetention)
	keys, err := rdb.Keys(ctx, "sg:{RET}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		switch {
		case strings.Contains(k, ":d:") || strings.Contains(k, ":u:") || strings.Contains(k, ":uv:"):
			if got := expiry(t, rdb, k); !got.Equal(dayExpiry) {
				t.Errorf("%s expires at %v, want %v", k, got, dayExpiry)
			}
		case strings.Contains(k, ":h:") || strings.Contains(k, ":uh:"):
			if got := expiry(t, rdb, k); !got.Equal(hourExpiry) {
				t.Errorf("%s expires at %v, want %v", k, got, hourExpiry)
			}
		case strings.HasSuffix(k, ":total"):
			if ttl := rdb.TTL(ctx, k).Val(); ttl != -1 {
				t.Errorf("TTL %s = %v, want none: totals are all-time", k, ttl)
			}
		default:
			t.Errorf("unexpected key %s", k)
		}
	}
	if len(keys) != 7 {
		t.Errorf("keys of link RET = %v, want day, hour, visitors of both and of variants A and B, and total", keys)
	}
	// On a single node the writer's marks are per group of tags.
	marks, err := rdb.Keys(ctx, "sg:w:"+rec.writer+":*").Result()
	if err != nil || len(marks) == 0 {
		t.Fatalf("writer marks %v, %v: want at least one", marks, err)
	}
	for _, k := range marks {
		// A mark lives DedupTTL from when it was written.
		if ttl := rdb.TTL(ctx, k).Val(); ttl < cfg.DedupTTL-time.Minute || ttl > cfg.DedupTTL {
			t.Errorf("TTL %s = %v, want about %v", k, ttl, cfg.DedupTTL)
		}
	}
	// The stream is trimmed in whole entries of up to maxEntryRecords
	// events, to at most StreamMaxLen events.
	for _, tenant := range []string{"t1", "t2"} {
		if n := int64(len(streamRecords(t, rdb, tenant))); n > cfg.StreamMaxLen || n <= cfg.StreamMaxLen-maxEntryRecords {
			t.Errorf("%d events in the stream of %s after 500, want StreamMaxLen = %d less part of an entry", n, tenant, cfg.StreamMaxLen)
		}
	}
}

// expiry is when key expires, by Redis's clock: EXPIRETIME needs Redis 7,
// and the gateway supports 6.2. The key's expiry is set in whole seconds.
func expiry(tb testing.TB, rdb redis.UniversalClient, key string) time.Time {
	tb.Helper()
	var now *redis.TimeCmd
	var ttl *redis.DurationCmd
	_, err := rdb.TxPipelined(context.Background(), func(p redis.Pipeliner) error {
		now, ttl = p.Time(context.Background()), p.PTTL(context.Background(), key)
		return nil
	})
	if err != nil || ttl.Val() < 0 {
		tb.Fatalf("expiry of %s: PTTL %v, %v", key, ttl.Val(), err)
	}
	return now.Val().Add(ttl.Val()).Round(time.Second).UTC()
}

// TestReportReadsEarlierCounters: a day counted partly by a release before
// scan combinations (a field per label) and partly by this one sums into
// one report, and a visitor set whose counter hash could not be written
// still gets its expiry.
func TestReportReadsEarlierCounters(t *testing.T) {
	ctx := context.Background()
	rdb := srv.Client(t)
	cfg := longRetention(testConfig())
	day := DateOf(testBase)
	rdb.HSet(ctx, dayKey(linkTag("OLD"), day), fieldScans, 3, "p:wechat", 2, "p:alipay", 1, "os:ios", 3,
		"ch:gateway", 3, "cc:CN", 3, "rg:Shanghai", 3, "city:Shanghai", 3, "ncity", 1, "r:breakfast", 2,
		"v:A", 3, fieldOpens, 1)
	rec := startRecorder(t, rdb, cfg, nil)
	e := testEvent(0)
	e.Code, e.Type, e.Platform, e.OS, e.Channel = "OLD", Scan, "wechat", "android", ChannelApp
	e.Country, e.Region, e.City, e.Rule, e.Variant = "CN", "Beijing", "Beijing", "", "B"
	rec.Record(e)
	// A link whose day hash is not a hash: its visitor set is still made,
	// and must expire with the day.
	rdb.Set(ctx, dayKey(linkTag("BAD"), day), "not a hash", 0)
	e.Code = "BAD"
	rec.Record(e)
	closeRecorder(t, rec)

	rep := dayReport(t, rdb, cfg, "OLD")
	if rep.Totals.Scans != 4 || rep.Totals.Opens != 1 {
		t.Errorf("totals %+v, want 4 scans and 1 open", rep.Totals)
	}
	for name, d := range map[string]struct{ want, got map[string]int64 }{
		"platform": {map[string]int64{"wechat": 3, "alipay": 1}, rep.ByPlatform},
		"os":       {map[string]int64{"ios": 3, "android": 1}, rep.ByOS},
		"channel":  {map[string]int64{ChannelGateway: 3, ChannelApp: 1}, rep.ByChannel},
		"region":   {map[string]int64{"Shanghai": 3, "Beijing": 1}, rep.ByRegion},
		"city":     {map[string]int64{"Shanghai": 3, "Beijing": 1}, rep.ByCity},
		"rule":     {map[string]int64{"breakfast": 2}, rep.ByRule},
	} {
		if diff := cmp.Diff(d.want, d.got); diff != "" {
			t.Errorf("by_%s mismatch (-want +got):\n%s", name, diff)
		}
	}
	if rep.ByVariant["A"].Scans != 3 || rep.ByVariant["B"].Scans != 1 {
		t.Errorf("by_variant %+v, want A 3 scans, B 1", rep.ByVariant)
	}
	want := day.AddDays(1).Start(cfg.Timezone).Add(cfg.Retention)
	if got := expiry(t, rdb, dayVisitorsKey(linkTag("BAD"), day)); !got.Equal(want) {
		t.Errorf("visitors of a link whose day hash is not a hash expire at %v, want %v", got, want)
	}
}
