package stats

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/scangate/scangate/internal/redistest"
)

// testLinks: three links of campaign "spring" and one of "summer" in tenant
// t1; tenant t2 also has a campaign "spring", which must not mix with t1's.
var testLinks = []struct{ code, tenant, campaign string }{
	{"L1", "t1", "spring"}, {"L2", "t1", "spring"}, {"L3", "t1", "spring"}, {"L4", "t1", "summer"}, {"L5", "t2", "spring"},
}

// testBase is when the generated events start: 20:00 UTC, so that six hours
// of events cover two UTC days and one Shanghai day.
var testBase = time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC)

// testEvent is the i-th generated event: links, platforms, OSes, channels,
// hours and types vary with i, and thirteen visitors come back again and again.
func testEvent(i int) Event {
	l := testLinks[i%len(testLinks)]
	e := Event{
		Time:      testBase.Add(time.Duration(i%6)*time.Hour + time.Duration(i%60)*time.Minute),
		Type:      Scan,
		Code:      l.code,
		Tenant:    l.tenant,
		Campaign:  l.campaign,
		Platform:  []string{"wechat", "alipay", "browser"}[i%3],
		OS:        []string{"ios", "android", "harmonyos", "windows"}[i%4],
		Channel:   []string{ChannelGateway, ChannelApp}[i%2],
		IP:        netip.AddrFrom4([4]byte{10, 1, 0, byte(i % 13)}),
		UserAgent: "Mozilla/5.0 (test)",
		Value:     1,
	}
	switch i % 10 {
	case 3:
		e.Type = Open
	case 7:
		e.Type, e.Value = Conversion, int64(i%5+1)
	}
	return e
}

// model computes the reports that the recorded events must produce, the
// simple way.
type model struct {
	loc      *time.Location // the zone of the reports' days
	reports  map[string]*Report
	visitors map[string]map[string]bool // report → day → "storage day/visitor"
}

func newModel(loc *time.Location) *model {
	return &model{loc: loc, reports: map[string]*Report{}, visitors: map[string]map[string]bool{}}
}

func (m *model) add(e Event, geo *GeoIP) {
	m.addTo("link:"+e.Code, e, geo)
	if e.Campaign != "" {
		m.addTo("campaign:"+e.Tenant+"/"+e.Campaign, e, geo)
	}
}

func (m *model) addTo(name string, e Event, geo *GeoIP) {
	rep := m.reports[name]
	if rep == nil {
		rep = &Report{Granularity: Daily, TZ: m.loc.String(), ByPlatform: map[string]int64{}, ByOS: map[string]int64{},
			ByChannel: map[string]int64{ChannelGateway: 0, ChannelApp: 0}, ByCountry: map[string]int64{}, ByCity: map[string]int64{}}
		m.reports[name] = rep
	}
	day := DateOf(e.Time.In(m.loc)).String()
	var p *Point
	for i := range rep.Series {
		if rep.Series[i].T == day {
			p = &rep.Series[i]
		}
	}
	if p == nil {
		rep.Series = append(rep.Series, Point{T: day})
		p = &rep.Series[len(rep.Series)-1]
	}
	switch e.Type {
	case Open:
		rep.Totals.Opens++
		return
	case Conversion:
		rep.Totals.Conversions++
		rep.Totals.ConversionValue += e.Value
		return
	}
	rep.Totals.Scans++
	p.Scans++
	rep.ByPlatform[e.Platform]++
	rep.ByOS[e.OS]++
	rep.ByChannel[e.Channel]++
	if country, city := geo.Lookup(e.IP); country != "" {
		rep.ByCountry[country]++
		if city != "" {
			rep.ByCity[city]++
		}
	}
	// Visitor ids change with the day of the stored counters (UTC here).
	visitor := DateOf(e.Time.UTC()).String() + "/" + e.IP.String() + "/" + e.UserAgent
	if m.visitors[name+day] == nil {
		m.visitors[name+day] = map[string]bool{}
	}
	if m.visitors[name] == nil {
		m.visitors[name] = map[string]bool{}
	}
	if !m.visitors[name+day][visitor] {
		m.visitors[name+day][visitor] = true
		p.UniqueVisitors++
	}
	if !m.visitors[name][visitor] {
		m.visitors[name][visitor] = true
		rep.Totals.UniqueVisitors++
	}
}

// want returns the expected report over the days from..to.
func (m *model) want(name string, from, to Date) *Report {
	rep := *m.reports[name]
	rep.From, rep.To = from.String(), to.String()
	var series []Point
	for d := from; !to.Before(d); d = d.AddDays(1) {
		p := Point{T: d.String()}
		for _, q := range rep.Series {
			if q.T == p.T {
				p = q
			}
		}
		series = append(series, p)
	}
	rep.Series = series
	return &rep
}

func TestRecorderCountsEveryDimensionExactly(t *testing.T) {
	t.Run("one tag per call, single node", func(t *testing.T) {
		testCountsExactly(t, srv.Client(t), false)
	})
	t.Run("tags packed, single node", func(t *testing.T) {
		testCountsExactly(t, srv.Client(t), true)
	})
	t.Run("real three-node Cluster", func(t *testing.T) {
		rdb := redistest.StartCluster(t, 3).Client(t)
		testCountsExactly(t, rdb, false)
	})
}

func testCountsExactly(t *testing.T, rdb redis.UniversalClient, pack bool) {
	ctx := context.Background()
	cfg := longRetention(testConfig())
	rec := newTestRecorder(rdb, cfg, nil, nil)
	rec.b.pack = pack
	rec.Start()

	const goroutines, perGoroutine = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for j := range perGoroutine {
				if !rec.Record(testEvent(g*perGoroutine + j)) {
					t.Errorf("Record dropped event %d", g*perGoroutine+j)
				}
			}
		})
	}
	wg.Wait()
	closeRecorder(t, rec)

	m := newModel(time.UTC)
	scans := map[string]int64{}
	for i := range goroutines * perGoroutine {
		e := testEvent(i)
		m.add(e, nil)
		if e.Type == Scan {
			scans[e.Code]++
		}
	}
	now := testBase.Add(72 * time.Hour)
	from, to := DateOf(testBase), DateOf(testBase).AddDays(1)
	q := Query{From: from, To: to, Granularity: Daily, Now: now}
	st := NewQuerier(rdb, cfg)
	for _, l := range testLinks {
		want := m.want("link:"+l.code, from, to)
		want.Code = l.code
		got, err := st.LinkStats(ctx, l.tenant, l.code, q)
		if err != nil {
			t.Fatalf("LinkStats(%s): %v", l.code, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LinkStats(%s) mismatch (-want +got):\n%s", l.code, diff)
		}
		checkHourlySumsToDaily(t, st, got, l.tenant, l.code, q)
	}
	for _, c := range []struct{ tenant, campaign string }{{"t1", "spring"}, {"t1", "summer"}, {"t2", "spring"}} {
		want := m.want("campaign:"+c.tenant+"/"+c.campaign, from, to)
		want.Campaign = c.campaign
		got, err := st.CampaignStats(ctx, c.tenant, c.campaign, q)
		if err != nil {
			t.Fatalf("CampaignStats(%s, %s): %v", c.tenant, c.campaign, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CampaignStats(%s, %s) mismatch (-want +got):\n%s", c.tenant, c.campaign, diff)
		}
	}
	codes := []string{"L1", "L2", "L3", "L4", "L5", "unknown"}
	got, err := st.Scans(ctx, codes)
	if err != nil {
		t.Fatalf("Scans: %v", err)
	}
	scans["unknown"] = 0
	if diff := cmp.Diff(scans, got); diff != "" {
		t.Errorf("Scans(%v) mismatch (-want +got):\n%s", codes, diff)
	}
	for tenant, want := range map[string]int64{"t1": 3200, "t2": 800} {
		if n := rdb.XLen(ctx, streamKey(tenant)).Val(); n != want {
			t.Errorf("XLEN %s = %d, want %d", streamKey(tenant), n, want)
		}
	}
}

// checkHourlySumsToDaily asks for the same range by hour and checks that the
// hours add up to the days.
func checkHourlySumsToDaily(tb testing.TB, st *Querier, daily *Report, tenant, code string, q Query) {
	tb.Helper()
	q.Granularity = Hourly
	hourly, err := st.LinkStats(context.Background(), tenant, code, q)
	if err != nil {
		tb.Fatalf("LinkStats(%s, hourly): %v", code, err)
	}
	if len(hourly.Series) != 24*len(daily.Series) {
		tb.Fatalf("hourly series of %s has %d points, want %d", code, len(hourly.Series), 24*len(daily.Series))
	}
	for i, d := range daily.Series {
		var sum int64
		for _, h := range hourly.Series[24*i : 24*i+24] {
			sum += h.Scans
		}
		if sum != d.Scans {
			tb.Errorf("%s on %s: hourly scans sum to %d, daily says %d", code, d.T, sum, d.Scans)
		}
	}
	if hourly.Totals != daily.Totals {
		tb.Errorf("%s: hourly totals %+v, daily %+v", code, hourly.Totals, daily.Totals)
	}
	if want := fmt.Sprint(daily.ByPlatform); fmt.Sprint(hourly.ByPlatform) != want {
		tb.Errorf("%s: hourly by_platform %v, daily %v", code, hourly.ByPlatform, daily.ByPlatform)
	}
}

// TestCallsTouchOneSlot: with a Cluster client, every script call keeps to
// the keys of one hash tag, so to one slot.
func TestCallsTouchOneSlot(t *testing.T) {
	rec := mustRecorder(redis.NewClusterClient(&redis.ClusterOptions{}), testConfig(), nil, nil)
	if rec.b.pack {
		t.Fatal("a Cluster client packs several tags per call")
	}
	// This client reaches no server: the batch is only inspected.
	rec.prep.visitors = newVisitorHasher(testConfig().VisitorSecret, func(Date) []byte { return []byte("salt") })
	var events []Event
	for i := range 1000 {
		events = append(events, testEvent(i))
	}
	calls := rec.b.encode(buildBatch(rec, events))
	if len(calls) != len(testLinks)+3+2 { // links, campaigns, tenant streams
		t.Errorf("%d calls, want one per link, campaign and tenant", len(calls))
	}
	for _, c := range calls {
		tag := hashTag(c.keys[0])
		for _, k := range c.keys {
			if hashTag(k) != tag || tag == "" {
				t.Errorf("call with keys %v: %s is not in hash tag %q", c.keys, k, tag)
			}
		}
	}
}

// hashTag is the part of key that Redis Cluster hashes.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return ""
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return ""
	}
	return key[open+1 : open+1+end]
}

func TestDaySaltIsSharedAndExpires(t *testing.T) {
	rdb := srv.Client(t)
	cfg := testConfig()
	a, b := mustRecorder(rdb, cfg, nil, nil), mustRecorder(rdb, cfg, nil, nil)
	day := DateOf(time.Now().In(cfg.Timezone))
	sa, sb := a.daySalt(day), b.daySalt(day)
	if len(sa) == 0 || string(sa) != string(sb) {
		t.Fatalf("two instances got salts %q and %q, want one shared salt", sa, sb)
	}
	if string(a.daySalt(day.AddDays(1))) == string(sa) {
		t.Fatal("the next day has the same salt")
	}
	ttl := rdb.TTL(context.Background(), saltKey(day)).Val()
	if ttl <= 0 || ttl > 48*time.Hour+time.Minute {
		t.Fatalf("salt TTL = %v, want it to end within a day after the day", ttl)
	}
	// An event dated long ago still gets a salt that lives long enough.
	old := day.AddDays(-30)
	if len(a.daySalt(old)) == 0 || rdb.TTL(context.Background(), saltKey(old)).Val() < 23*time.Hour {
		t.Fatal("a past day's salt expired at once")
	}
}
