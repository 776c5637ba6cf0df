package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

// TestHistoryAndRevert is the case through the API: a code
// retargeted 3 times and reverted to version 1 scans as version 1 did, and
// its history shows 5 versions, newest first, with actor and reason (a
// Chinese reason, percent-encoded in X-ScanGate-Reason). Viewers read the
// history but cannot revert; another tenant sees a 404.
func TestHistoryAndRevert(t *testing.T) {
	e := newEnv(t)
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"REV1","targets":{"web":{"url":"https://example.com/v1"}}}`); rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	for i := 2; i <= 4; i++ {
		rec := e.do("PATCH", "/api/v1/links/REV1", e.admin, "application/json",
			`{"targets":{"web":{"url":"https://example.com/v`+strconv.Itoa(i)+`"}}}`, reasonHeader, url.PathEscape("换菜单 "+strconv.Itoa(i)))
		if rec.Code != http.StatusOK {
			t.Fatalf("patch = %d %s", rec.Code, rec.Body)
		}
	}
	if rec := e.json("POST", "/api/v1/links/REV1/revert", e.viewer, `{"version":1}`); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer's revert = %d, want 403", rec.Code)
	}
	rec := e.json("POST", "/api/v1/links/REV1/revert", e.admin, `{"version":1}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("revert = %d %s", rec.Code, rec.Body)
	}
	scan := e.do("GET", "/s/REV1", "", "", "")
	if loc := scan.Header().Get("Location"); scan.Code != http.StatusFound || loc != "https://example.com/v1" {
		t.Errorf("scan after the revert = %d %q, want 302 to v1", scan.Code, loc)
	}
	rec = e.do("GET", "/api/v1/links/REV1/history", e.viewer, "", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("history = %d %s", rec.Code, rec.Body)
	}
	var h struct {
		Items []struct {
			Version int64  `json:"version"`
			By      string `json:"by"`
			Reason  string `json:"reason"`
			Action  string `json:"action"`
			Link    struct {
				Targets struct {
					Web struct{ URL string } `json:"web"`
				} `json:"targets"`
			} `json:"link"`
		} `json:"items"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || len(h.Items) != 5 {
		t.Fatalf("history = %s", rec.Body)
	}
	if it := h.Items[0]; it.Version != 5 || it.Action != "revert" || it.Link.Targets.Web.URL != "https://example.com/v1" || it.By == "" {
		t.Errorf("newest = %+v, want version 5, a revert to v1, with its actor", it)
	}
	if it := h.Items[1]; it.Version != 4 || it.Reason != "换菜单 4" {
		t.Errorf("version 4 = %+v, want the reason 换菜单 4", it)
	}
	if rec := e.do("GET", "/api/v1/links/REV1/history?limit=2", e.admin, "", ""); decode[historyResponse](t, rec).NextCursor != "4" {
		t.Errorf("a page of 2 has no next cursor: %s", rec.Body)
	}
	for _, tc := range []struct {
		method, path, key, body string
		status                  int
	}{
		{"GET", "/api/v1/links/REV1/history", e.otherTenant, "", http.StatusNotFound},
		{"POST", "/api/v1/links/REV1/revert", e.otherTenant, `{"version":1}`, http.StatusNotFound},
		{"POST", "/api/v1/links/REV1/revert", e.admin, `{"version":42}`, http.StatusUnprocessableEntity},
		{"POST", "/api/v1/links/REV1/revert", e.admin, `{"v":1}`, http.StatusUnprocessableEntity},
		{"POST", "/api/v1/links/REV1/revert", e.admin, `{"version":1`, http.StatusBadRequest},
		{"GET", "/api/v1/links/REV1/history?limit=1000", e.admin, "", http.StatusUnprocessableEntity},
	} {
		var rec = e.json(tc.method, tc.path, tc.key, tc.body)
		if tc.method == "GET" {
			rec = e.do(tc.method, tc.path, tc.key, "", "")
		}
		if rec.Code != tc.status {
			t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, rec.Code, rec.Body, tc.status)
		}
	}
	if rec := e.do("PATCH", "/api/v1/links/REV1", e.admin, "application/json", `{"title":"x"}`, reasonHeader, "%zz"); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a reason that is not percent-encoded = %d, want 422", rec.Code)
	}
}
