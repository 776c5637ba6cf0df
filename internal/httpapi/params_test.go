package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestStrictQueries: an unknown or repeated query parameter is a 400
// naming it (GET /links?q=… returned every link); a malformed query
// string is a 400 rather than silently shortened; a route's path under
// another method is a 405 with Allow; a campaign the tenant never had is a
// 404, in any other letter case too.
func TestStrictQueries(t *testing.T) {
	e := newEnv(t)
	e.mustLink("sq-1", "", "Spring")
	for _, tc := range []struct {
		method, path string
		status       int
		code, field  string
	}{
		{"GET", "/api/v1/links?search=nothing", 400, "unknown_parameter", "search"},
		{"GET", "/api/v1/links?campaign=Spring&campaign=Summer", 400, "unknown_parameter", "campaign"},
		{"GET", "/api/v1/links?limit=5;status=paused", 400, "malformed", ""},
		{"GET", "/api/v1/links/sq-1/stats?from=2026-12-01&granulrity=hour", 400, "unknown_parameter", "granulrity"},
		{"GET", "/api/v1/events.csv?granularity=hour", 400, "unknown_parameter", "granularity"},
		{"DELETE", "/api/v1/links/sq-1?purge=true&force=1", 400, "unknown_parameter", "force"},
		{"GET", "/api/v1/campaigns/spring/stats", 404, "not_found", ""},
		{"GET", "/api/v1/campaigns/Sprnig/stats", 404, "not_found", ""},
		{"GET", "/api/v1/events.csv?campaign=spring", 404, "not_found", ""},
		{"PUT", "/api/v1/links/sq-1", 405, "method_not_allowed", ""},
		{"DELETE", "/api/v1/links", 405, "method_not_allowed", ""},
	} {
		rec := e.do(tc.method, tc.path, e.admin, "application/json", "")
		if rec.Code != tc.status {
			t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, rec.Code, rec.Body, tc.status)
			continue
		}
		if got := errorOf(t, rec); got.Code != tc.code || got.Field != tc.field {
			t.Errorf("%s %s error = %+v, want code %s field %q", tc.method, tc.path, got, tc.code, tc.field)
		}
	}
	rec := e.do("PUT", "/api/v1/links/sq-1", e.admin, "application/json", "{}")
	if allow := rec.Header().Get("Allow"); allow != "DELETE, GET, PATCH" {
		t.Errorf("Allow = %q, want DELETE, GET, PATCH", allow)
	}
	for _, ok := range []string{"/api/v1/campaigns/Spring/stats", "/api/v1/links?campaign=Spring&limit=5", "/api/v1/events.csv?campaign=Spring&bom=0"} {
		if rec := e.do("GET", ok, e.admin, "", ""); rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d %s", ok, rec.Code, rec.Body)
		}
	}
	// Printed codes keep working with whatever query a poster added.
	if rec := e.do("GET", "/s/sq-1?from=poster;x=1", "", "", ""); rec.Code != http.StatusFound {
		t.Errorf("a scan with a query = %d", rec.Code)
	}
	if rec := e.do("GET", "/api/v1/links/sq-1/qr?sise=100", e.admin, "", ""); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "sise") {
		t.Errorf("a misspelt QR option = %d %s, want 422 naming it", rec.Code, rec.Body)
	}
}
