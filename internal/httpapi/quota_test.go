package httpapi

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/links"
)

// TestQuotas: each tenant's quotas are counted in windows across
// instances (in Redis); past one, 429 quota_exceeded names it with
// Retry-After until the window ends, and nothing is done; a tenant with
// its own quotas, and other tenants, are not affected; GET /api/v1/usage
// shows the use.
func TestQuotas(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Quotas = Quotas{
			Default: Limits{APIPerMinute: 6, BulkRowsPerHour: 5, ExportsPerHour: 1},
			Tenants: map[string]Limits{"globex": {APIPerMinute: 100}},
		}
	})
	now := time.Date(2026, 12, 3, 12, 0, 30, 0, time.UTC)
	e.srv.now = func() time.Time { return now }

	// Bulk rows: 5 an hour; a request of 6 is refused whole.
	rec := e.json("POST", "/api/v1/links/bulk", e.admin, `[`+strings.Repeat(`{"targets":{"web":{"url":"https://e.com/"}}},`, 5)+`{"targets":{"web":{"url":"https://e.com/"}}}]`)
	if rec.Code != http.StatusTooManyRequests || errorOf(t, rec).Field != "bulk_rows_per_hour" || rec.Header().Get("Retry-After") != "3570" {
		t.Fatalf("6 bulk rows of 5 an hour = %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := e.json("POST", "/api/v1/links/bulk", e.admin, `[{"code":"q-1","targets":{"web":{"url":"https://e.com/"}}}]`); rec.Code != http.StatusOK {
		t.Fatalf("1 bulk row = %d %s", rec.Code, rec.Body)
	}
	// Exports: 1 an hour.
	if rec := e.do("GET", "/api/v1/links/export", e.admin, "", ""); rec.Code != http.StatusOK {
		t.Fatalf("first export = %d", rec.Code)
	}
	if rec := e.do("GET", "/api/v1/links/export", e.admin, "", ""); rec.Code != http.StatusTooManyRequests || errorOf(t, rec).Field != "exports_per_hour" {
		t.Fatalf("second export in the hour = %d %s", rec.Code, rec.Body)
	}
	// API requests: 6 a minute, the 4 above and this one included (refused
	// ones too).
	rec = e.do("GET", "/api/v1/usage", e.admin, "", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `{"name":"api_per_minute","limit":6,"used":5`) ||
		!strings.Contains(rec.Body.String(), `{"name":"bulk_rows_per_hour","limit":5,"used":1`) ||
		!strings.Contains(rec.Body.String(), `{"name":"exports_per_hour","limit":1,"used":1`) {
		t.Fatalf("usage = %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("GET", "/api/v1/links", e.viewer, "", ""); rec.Code != http.StatusOK {
		t.Fatalf("6th request in the minute = %d", rec.Code)
	}
	rec = e.do("GET", "/api/v1/links", e.viewer, "", "")
	if rec.Code != http.StatusTooManyRequests || errorOf(t, rec).Field != "api_per_minute" || rec.Header().Get("Retry-After") != "30" {
		t.Fatalf("7th request in the minute = %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	// Another tenant, with its own quotas, is not affected.
	for range 10 {
		if rec := e.do("GET", "/api/v1/links", e.otherTenant, "", ""); rec.Code != http.StatusOK {
			t.Fatalf("another tenant = %d", rec.Code)
		}
	}
	// The next minute, requests pass again.
	now = now.Add(30 * time.Second)
	if rec := e.do("GET", "/api/v1/links", e.viewer, "", ""); rec.Code != http.StatusOK {
		t.Errorf("in the next minute = %d", rec.Code)
	}
}

// TestStoredQuotaAnswers: past a stored quota a create is 422
// quota_exceeded naming it (no Retry-After: it frees when links go), a
// bulk's rows past it fail alone, and /usage shows what is stored.
func TestStoredQuotaAnswers(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Quotas = Quotas{Default: Limits{Stored: links.Limits{Links: 3, Campaigns: 1, Tags: 10}}}
	})
	web := `"targets":{"web":{"url":"https://e.com/"}}`
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"sq-1","campaign":"spring",`+web+`}`); rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"sq-2","campaign":"summer",`+web+`}`)
	if got := errorOf(t, rec); rec.Code != http.StatusUnprocessableEntity || got.Code != "quota_exceeded" || got.Field != "campaigns" ||
		!strings.Contains(got.Message, "quota of 1 campaigns") || rec.Header().Get("Retry-After") != "" {
		t.Fatalf("a second campaign of 1 = %d %s", rec.Code, rec.Body)
	}
	rec = e.json("POST", "/api/v1/links/bulk", e.admin, `[{"code":"sq-3",`+web+`},{"code":"sq-4",`+web+`},{"code":"sq-5",`+web+`}]`)
	body := decode[bulkResponse](t, rec)
	if rec.Code != http.StatusOK || body.Created != 2 || len(body.Failed) != 1 || body.Failed[0].Row != 3 ||
		body.Failed[0].Error.Code != "quota_exceeded" || body.Failed[0].Error.Field != "links" {
		t.Fatalf("bulk of 3 with 2 free = %d %s", rec.Code, rec.Body)
	}
	rec = e.do("GET", "/api/v1/usage", e.viewer, "", "")
	for _, want := range []string{`{"name":"links","limit":3,"used":3}`, `{"name":"campaigns","limit":1,"used":1}`, `{"name":"tags","limit":10,"used":0}`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("usage lacks %s: %s", want, rec.Body)
		}
	}
	// Another tenant has its own count.
	if rec := e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"sq-9",`+web+`}`); rec.Code != http.StatusCreated {
		t.Errorf("another tenant's create = %d %s", rec.Code, rec.Body)
	}
}
