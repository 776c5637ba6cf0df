package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestTrashThroughTheAPI is the case: a code deleted and restored
// scans as before, with its stats going on; purged, it answers 404, its
// owner may create it again and another tenant gets only "code taken".
func TestTrashThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"TBL1","targets":{"web":{"url":"https://example.com/menu"}}}`); rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"TBL2","fallback_url":"https://example.com/closed","targets":{"web":{"url":"https://example.com/menu"}}}`); rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	scan := func(code string) (int, string) {
		rec := e.do("GET", "/s/"+code, "", "", "", "User-Agent",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
		return rec.Code, rec.Header().Get("Location")
	}
	scan("TBL1")
	if rec := e.do("DELETE", "/api/v1/links/TBL1", e.viewer, "", ""); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer's delete = %d, want 403", rec.Code)
	}
	for _, code := range []string{"TBL1", "TBL2"} {
		if rec := e.do("DELETE", "/api/v1/links/"+code, e.admin, "", ""); rec.Code != http.StatusNoContent {
			t.Fatalf("delete = %d %s", rec.Code, rec.Body)
		}
	}
	if code, _ := scan("TBL1"); code != http.StatusGone {
		t.Errorf("a trashed code scans %d, want 410", code)
	}
	if code, loc := scan("TBL2"); code != http.StatusFound || loc != "https://example.com/closed" {
		t.Errorf("a trashed code with a fallback scans %d %q, want 302 to it", code, loc)
	}
	trash := decode[trashResponse](t, e.do("GET", "/api/v1/trash", e.viewer, "", ""))
	if len(trash.Items) != 2 || trash.Items[0].State != "trashed" || trash.Items[0].PurgeAt == nil {
		t.Fatalf("trash = %+v, want both links, trashed, with purge_at", trash.Items)
	}
	if got := decode[trashResponse](t, e.do("GET", "/api/v1/trash", e.otherTenant, "", "")); len(got.Items) != 0 {
		t.Errorf("another tenant's trash shows %d links", len(got.Items))
	}
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"TBL1","targets":{"web":{"url":"https://example.com/x"}}}`); rec.Code != http.StatusConflict ||
		errorOf(t, rec).Code != "code_in_trash" {
		t.Errorf("creating a code in one's trash = %d %s, want 409 code_in_trash", rec.Code, rec.Body)
	}
	if rec := e.json("POST", "/api/v1/links/TBL1/restore", e.otherTenant, ``); rec.Code != http.StatusNotFound {
		t.Errorf("another tenant's restore = %d, want 404", rec.Code)
	}
	if rec := e.json("POST", "/api/v1/links/TBL1/restore", e.admin, ``); rec.Code != http.StatusOK {
		t.Fatalf("restore = %d %s", rec.Code, rec.Body)
	}
	if code, loc := scan("TBL1"); code != http.StatusFound || loc != "https://example.com/menu" {
		t.Errorf("a restored code scans %d %q, want as before", code, loc)
	}
	e.drainStats()
	stats := e.do("GET", "/api/v1/links/TBL1/stats", e.admin, "", "")
	if stats.Code != http.StatusOK || !strings.Contains(stats.Body.String(), `"scans":2`) {
		t.Errorf("stats after the restore = %d %s, want the 2 scans of both lives", stats.Code, stats.Body)
	}
	if rec := e.do("DELETE", "/api/v1/links/TBL1?purge=true", e.admin, "", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("purge = %d %s", rec.Code, rec.Body)
	}
	if code, _ := scan("TBL1"); code != http.StatusNotFound {
		t.Errorf("a purged code scans %d, want 404", code)
	}
	rec := e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"TBL1","targets":{"web":{"url":"https://evil.example/"}}}`)
	if body := errorOf(t, rec); rec.Code != http.StatusConflict || body.Code != "code_taken" || body.Message != "code taken" {
		t.Errorf("another tenant's create of the purged code = %d %+v, want 409 code taken", rec.Code, body)
	}
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"TBL1","targets":{"web":{"url":"https://example.com/new"}}}`); rec.Code != http.StatusCreated {
		t.Fatalf("its owner's create of the purged code = %d %s", rec.Code, rec.Body)
	}
	if code, loc := scan("TBL1"); code != http.StatusFound || loc != "https://example.com/new" {
		t.Errorf("the code's new life scans %d %q", code, loc)
	}
}
