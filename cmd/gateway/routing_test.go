package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/geo/geotest"
)

// The gateway as deployed behind a proxy with a GeoIP database: a city
// rule and a split, decided per scan from X-Forwarded-For, and the
// variants counted in the link's stats.
func TestServeRoutesByPlaceAndSplits(t *testing.T) {
	redisSrv.Client(t) // flush
	base, key := startGateway(t, []string{"SCANGATE_REDIS_ADDRS=" + redisSrv.Addr(),
		"SCANGATE_GEOIP_DB=" + geotest.Path(t), "SCANGATE_TRUSTED_PROXIES=127.0.0.1/32", "SCANGATE_RATE_LIMIT_SCAN=0"})
	if r := call(t, base, key, "POST", "/api/v1/links", `{"code":"route1","targets":{"web":{"url":"https://m.example.com/menu"}},
		"rules":[{"name":"shanghai","when":{"city":["上海"]},"targets":{"web":{"url":"https://m.example.com/sh"}}}],
		"split":{"variants":[{"name":"A","weight":1},{"name":"B","weight":1,"targets":{"web":{"url":"https://m.example.com/b"}}}]}}`); r.StatusCode != http.StatusCreated {
		t.Fatalf("create = %d", r.StatusCode)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	scan := func(from, ua string) string {
		req, _ := http.NewRequest("GET", base+"/s/route1", nil)
		req.Header.Set("X-Forwarded-For", from)
		req.Header.Set("User-Agent", ua)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("scan from %s = %d:\n%s", from, resp.StatusCode, b)
		}
		return resp.Header.Get("Location")
	}
	if loc := scan(geotest.Shanghai.Addr.String(), "phone/1"); loc != "https://m.example.com/sh" {
		t.Fatalf("scan from Shanghai went to %q", loc)
	}
	want := map[string]int64{}
	for i := range 200 {
		switch loc := scan(geotest.Beijing.Addr.String(), fmt.Sprintf("phone/%d", i)); loc {
		case "https://m.example.com/menu":
			want["A"]++
		case "https://m.example.com/b":
			want["B"]++
		default:
			t.Fatalf("scan from Beijing went to %q", loc)
		}
	}
	if want["A"] < 70 || want["B"] < 70 {
		t.Errorf("200 visitors split %v, want about half each", want)
	}
	// Every scan reaches the stats; wait for the writer, not the clock.
	waitCounted(t, base, key, []string{"route1"}, 201)
	var rep struct {
		ByRule    map[string]int64                 `json:"by_rule"`
		ByVariant map[string]struct{ Scans int64 } `json:"by_variant"`
		ByCity    map[string]int64                 `json:"by_city"`
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/links/route1/stats", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if rep.ByRule["shanghai"] != 1 || rep.ByVariant["A"].Scans != want["A"] || rep.ByVariant["B"].Scans != want["B"] {
		t.Errorf("stats by_rule %v by_variant %+v, want shanghai 1 and %v", rep.ByRule, rep.ByVariant, want)
	}
	if rep.ByCity["Beijing"] != 200 || rep.ByCity["Shanghai"] != 1 || strings.Contains(fmt.Sprint(rep.ByCity), "127.0.0.1") {
		t.Errorf("by_city %v, want Beijing 200 and Shanghai 1", rep.ByCity)
	}
}
