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

// testPlaces are where generated events come from, as the request path
// would have looked them up: a city, a province with Chinese names only, a
// country alone, nowhere known.
var testPlaces = []struct{ country, region, city string }{
	{"CN", "Shanghai", "Shanghai"}, {"CN", "广东", "广州"}, {"US", "", ""}, {"", "", ""},
}

// testEvent is the i-th generated event: links, platforms, OSes, channels,
// places, rules, A/B variants, hours and types vary with i, and thirteen
// visitors come back again and again.
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
		Country:   testPlaces[i%len(testPlaces)].country,
		Region:    testPlaces[i%len(testPlaces)].region,
		City:      testPlaces[i%len(testPlaces)].city,
		Rule:      []string{"breakfast", "shanghai", ""}[i%3],
		Variant:   []string{"A", "B", "", "A", "B", "A", "B"}[i%7],
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

func (m *model) add(e Event) {
	m.addTo("link:"+e.Code, e)
	if e.Campaign != "" {
		m.addTo("campaign:"+e.Tenant+"/"+e.Campaign, e)
	}
}

func (m *model) addTo(name string, e Event) {
	rep := m.reports[name]
	if rep == nil {
		rep = &Report{Granularity: Daily, TZ: m.loc.String(), ByPlatform: map[string]int64{}, ByOS: map[string]int64{},
			ByChannel: map[string]int64{ChannelGateway: 0, ChannelApp: 0}, ByCountry: map[string]int64{},
			ByRegion: map[string]int64{}, ByCity: map[string]int64{}, ByRule: map[string]int64{},
			ByVariant: map[string]VariantStats{}}
		m.reports[name] = rep
	}
	var variant VariantStats
	if e.Variant != "" {
		variant = rep.ByVariant[e.Variant]
		defer func() { rep.ByVariant[e.Variant] = variant }()
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
		variant.Opens++
		return
	case Conversion:
		rep.Totals.Conversions++
		rep.Totals.ConversionValue += e.Value
		variant.Conversions++
		variant.ConversionValue += e.Value
		return
	}
	rep.Totals.Scans++
	p.Scans++
	variant.Scans++
	rep.ByPlatform[e.Platform]++
	rep.ByOS[e.OS]++
	rep.ByChannel[e.Channel]++
	for _, l := range []struct {
		m    map[string]int64
		name string
	}{{rep.ByCountry, e.Country}, {rep.ByRegion, e.Region}, {rep.ByCity, e.City}, {rep.ByRule, e.Rule}} {
		if l.name != "" {
			l.m[l.name]++
		}
	}
	// Visitor ids change with the day of the stored counters (UTC here).
	visitor := DateOf(e.Time.UTC()).String() + "/" + e.IP.String() + "/" + e.UserAgent
	if e.Variant != "" {
		if v := name + "/variant/" + e.Variant; !m.visitors[v][visitor] {
			if m.visitors[v] == nil {
				m.visitors[v] = map[string]bool{}
			}
			m.visitors[v][visitor] = true
			variant.UniqueVisitors++
		}
	}
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
	rec := newTestRecorder(rdb, cfg, nil)
	rec.b.pack, rec.ahead.pack = pack, pack
	rec.Start()

	const goroutines, perGoroutine = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for j := range perGoroutine {
				e := testEvent(g*perGoroutine + j)
				if j%2 == 0 {
					// As the request path does for a split: the writer must
					// count the id it is given as the one it would compute.
					id, ok := rec.VisitorID(e.Time, e.IP, e.UserAgent)
					if !ok {
						t.Errorf("VisitorID(event %d): no salt", g*perGoroutine+j)
					}
					e.Visitor = id
				}
				if !rec.Record(e) {
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
		m.add(e)
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
	variants := map[string]VariantStats{}
	var regions, rules int
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
		for name, v := range got.ByVariant {
			s := variants[name]
			variants[name] = VariantStats{s.Scans + v.Scans, s.UniqueVisitors + v.UniqueVisitors, s.Opens + v.Opens,
				s.Conversions + v.Conversions, s.ConversionValue + v.ConversionValue}
		}
		regions, rules = regions+len(got.ByRegion), rules+len(got.ByRule)
	}
	// The model covers every breakdown: make sure the events gave each
	// something to count.
	for _, name := range []string{"A", "B"} {
		if v := variants[name]; v.Scans == 0 || v.UniqueVisitors == 0 || v.Opens == 0 || v.Conversions == 0 || v.ConversionValue == 0 {
			t.Errorf("campaigns' variant %s = %+v, want scans, visitors, opens and conversions", name, v)
		}
	}
	if regions == 0 || rules == 0 {
		t.Errorf("campaigns have %d regions and %d rules, want some", regions, rules)
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
	// The rank (sort=scans) counts exactly what the counters count.
	ranked := map[string]int64{"unknown": 0}
	for _, tenant := range []string{"t1", "t2"} {
		page, err := st.RankPage(ctx, tenant, nil, 100)
		if err != nil {
			t.Fatalf("RankPage(%s): %v", tenant, err)
		}
		for i, r := range page {
			ranked[r.Code] = r.Scans
			if i > 0 && r.Scans > page[i-1].Scans {
				t.Errorf("rank of %s out of order: %v", tenant, page)
			}
		}
	}
	if diff := cmp.Diff(scans, ranked); diff != "" {
		t.Errorf("rank mismatch (-counters +rank):\n%s", diff)
	}
	for tenant, want := range map[string]int64{"t1": 3200, "t2": 800} {
		if n := int64(len(streamRecords(t, rdb, tenant))); n != want {
			t.Errorf("streamed events of %s = %d, want %d", tenant, n, want)
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
	rec := mustRecorder(redis.NewClusterClient(&redis.ClusterOptions{}), testConfig(), nil)
	if rec.b.pack {
		t.Fatal("a Cluster client packs several tags per call")
	}
	// This client reaches no server: the batch is only inspected.
	rec.visitors.salt = fixedSalt("salt")
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
	a, b := mustRecorder(rdb, cfg, nil), mustRecorder(rdb, cfg, nil)
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
