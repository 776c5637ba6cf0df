package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/links"
)

// BenchmarkConsolePages times the console's main pages, server-side, for
// a tenant with 10,000 links in one campaign (the bar: < 100 ms):
//
//	go test -run '^$' -bench ConsolePages -benchtime 20x ./internal/httpapi/
func BenchmarkConsolePages(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	rows := make([]links.Input, 10_000)
	for i := range rows {
		rows[i] = links.Input{Title: fmt.Sprintf("二楼 %d 号桌 coffee", i), Campaign: "big",
			Targets: links.Targets{Web: &links.WebTarget{URL: fmt.Sprintf("https://m.example.com/%d", i)}}}
	}
	res, err := e.links.Bulk(ctx, "acme", rows, nil, links.Actor{By: "key:bench"})
	if err != nil || res.Created != len(rows) {
		b.Fatalf("bulk: %d, %v", res.Created, err)
	}
	for i := 0; i < 2000; i++ {
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, httptestRequest("GET", "/s/"+res.Items[i%500].Code, uaWeChatIOS, "192.0.2.10:4000"))
	}
	e.drainStats()
	e.consoleUser("acme", "ann@example.com", auth.RoleAdmin, "correct horse battery")
	keys := e.srv.deps.Keys
	u, _ := keys.User(ctx, "ann@example.com")
	id, _, err := keys.StartSession(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	code := res.Items[42].Code
	for _, p := range []string{"/console/links", "/console/links?q=coffee", "/console/links?sort=scans", "/console/links/" + code,
		"/console/links/" + code + "/stats", "/console/campaigns/big", "/console/live", "/console/settings"} {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", p, nil)
				req.AddCookie(&http.Cookie{Name: "__Host-" + sessionCookie, Value: id}) // the test gateway is behind HTTPS
				rec := httptest.NewRecorder()
				e.srv.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s = %d", p, rec.Code)
				}
			}
		})
	}
}
