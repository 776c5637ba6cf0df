package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/geo/geotest"
)

// TestConsoleFunnelAndVariants: a link's numbers page draws the funnel
// scan → open → conversion with each step's count and share of the step
// before, and compares the A/B variants' funnels and value side by side;
// places are named in the page's language; its CSV holds the same
// numbers.
func TestConsoleFunnelAndVariants(t *testing.T) {
	e, _ := routedEnv(t) // Tuesday 12:00 in Shanghai: lunch, no rule for Guangzhou
	srv := e.consoleServer(auth.RoleAdmin)
	if rec := e.json("POST", "/api/v1/links", e.admin, menuLink); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	sent := map[string]int{}
	for i := range 40 {
		loc := e.scanFrom("GET", "/s/menu1", fmt.Sprintf("%s visitor/%d", uaAlipayAndroid, i), geotest.Guangzhou.Addr).Header.Get("Location")
		sent[variantOf(t, loc)]++
	}
	for _, body := range []string{
		`{"code":"menu1","type":"open","variant":"A"}`,
		`{"code":"menu1","type":"open","variant":"B"}`, `{"code":"menu1","type":"open","variant":"B"}`, `{"code":"menu1","type":"open","variant":"B"}`,
		`{"code":"menu1","type":"conversion","variant":"B","value":1999}`, `{"code":"menu1","type":"conversion","variant":"B","value":1000}`,
	} {
		if rec := e.json("POST", "/api/v1/events", e.admin, body); rec.Code != http.StatusAccepted {
			t.Fatalf("event %s: %d %s", body, rec.Code, rec.Body)
		}
	}
	e.drainStats()
	c := consoleClient(t)
	signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	_, page := getBody(t, c, srv.URL+"/console/links/menu1/stats?from=2026-12-01&to=2026-12-01", "Accept-Language", "en")

	steps := map[string]string{}
	for _, m := range regexp.MustCompile(`data-step="(\w+)" data-n="(\d+)"`).FindAllStringSubmatch(page, -1) {
		steps[m[1]] = m[2]
	}
	if steps["scans"] != "40" || steps["opens"] != "4" || steps["conversions"] != "2" {
		t.Errorf("the funnel's steps: %v; want 40 scans, 4 opens, 2 conversions", steps)
	}
	if !strings.Contains(page, ">4 · 10.0%<") || !strings.Contains(page, ">2 · 50.0%<") {
		t.Error("the funnel does not show each step's share of the one before (10.0% opened, 50.0% of those converted)")
	}
	row := regexp.MustCompile(`<tr data-variant="B">(.*?)</tr>`).FindStringSubmatch(page)
	cells := []string{}
	if row != nil {
		for _, m := range regexp.MustCompile(`<td[^>]*>(?:<code>)?([^<]*)`).FindAllStringSubmatch(row[1], -1) {
			cells = append(cells, m[1])
		}
	}
	// Unique visitors are a HyperLogLog's estimate: exact for 40, but for
	// a rare collision of two visitor ids (a day's salted hashes).
	b := sent["B"]
	want := []string{"B", fmt.Sprint(b), "~", "3", fmt.Sprintf("%.1f%%", 300/float64(b)), "2", fmt.Sprintf("%.1f%%", 200/float64(b)), "¥29.99"}
	if len(cells) >= len(want) && nearly(cells[2], b) {
		cells[2] = "~"
	}
	if len(cells) < len(want) || strings.Join(cells[:len(want)], "|") != strings.Join(want, "|") {
		t.Errorf("variant B's row: %q, want %q (visitors within 1 of %d)", cells, want, b)
	}
	if !strings.Contains(page, `<tr data-variant="A">`) {
		t.Error("variant A has no row")
	}
	// Places read in the page's language: the GeoIP database's English
	// names in English, Chinese ones in Chinese.
	if !strings.Contains(page, "<td>Guangzhou</td><td class=\"num\">40</td>") || !strings.Contains(page, "<td>Guangdong</td>") {
		t.Error("the English page does not show the scans' city and province in English")
	}
	_, zh := getBody(t, c, srv.URL+"/console/links/menu1/stats?from=2026-12-01&to=2026-12-01", "Accept-Language", "zh-CN")
	if !strings.Contains(zh, "<td>广州</td><td class=\"num\">40</td>") || !strings.Contains(zh, "<td>广东</td>") {
		t.Error("the Chinese page does not show the scans' city and province in Chinese")
	}
	_, csv := getBody(t, c, srv.URL+"/console/links/menu1/stats.csv?from=2026-12-01&to=2026-12-01")
	variant := regexp.MustCompile(fmt.Sprintf(`variant,B,%d,(\d+),3,2,2999`, b)).FindStringSubmatch(csv)
	total := regexp.MustCompile(`total,all,40,(\d+),4,2,2999`).FindStringSubmatch(csv)
	if variant == nil || total == nil || !nearly(variant[1], b) || !nearly(total[1], 40) {
		t.Errorf("the CSV lacks variant B's row or the totals:\n%s", csv)
	}
}

// nearly reports whether a unique-visitor count reads n, or one less.
func nearly(s string, n int) bool { return s == fmt.Sprint(n) || s == fmt.Sprint(n-1) }

// TestChineseCampaignPaths: a campaign named in Chinese is reached by the
// links the console writes (html/template escapes in lower-case hex) and
// by any client's spelling of the escapes, on the API too; its print
// sheet is printed.
func TestChineseCampaignPaths(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Quotas.Default.ExportsPerHour = 1 })
	srv := e.consoleServer(auth.RoleAdmin)
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"GQ1","campaign":"国庆","targets":{"web":{"url":"https://e.com/g"}}}`); rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	c := consoleClient(t)
	_, tok := signIn(t, c, srv.URL, "ann@example.com", "correct horse battery")
	_, list := getBody(t, c, srv.URL+"/console/links")
	href := regexp.MustCompile(`href="(/console/campaigns/[^"]+)"`).FindStringSubmatch(list)
	if href == nil {
		t.Fatal("the links page does not link the campaign")
	}
	for _, path := range []string{href[1], "/console/campaigns/%E5%9B%BD%E5%BA%86", "/console/campaigns/%e5%9b%bd%e5%ba%86"} {
		if r, page := getBody(t, c, srv.URL+path); r.StatusCode != http.StatusOK || !strings.Contains(page, "国庆") {
			t.Errorf("GET %s = %d", path, r.StatusCode)
		}
	}
	resp, err := c.PostForm(srv.URL+"/console/campaigns/%e5%9b%bd%e5%ba%86/print", map[string][]string{"csrf": {tok}})
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("printing the campaign from its page = %v %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// A second print within the hour is past the quota: a console page
	// says why, not a download.
	resp, err = c.PostForm(srv.URL+"/console/campaigns/%e5%9b%bd%e5%ba%86/print", map[string][]string{"csrf": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	status, page := readBodyOf(resp)
	if status != http.StatusTooManyRequests || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		resp.Header.Get("Content-Disposition") != "" || !strings.Contains(page, "exports_per_hour") {
		t.Errorf("a print past the quota = %d %q %q; want a page naming the quota", status, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	for _, path := range []string{"/api/v1/campaigns/%E5%9B%BD%E5%BA%86/stats", "/api/v1/campaigns/%e5%9b%bd%e5%ba%86/stats"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+e.admin)
		e.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d %s", path, rec.Code, rec.Body)
		}
	}
}
