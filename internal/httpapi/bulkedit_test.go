package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBulkEditCSV is the case: 500 codes edited from a CSV with 5
// bad rows: 495 change (each a version in its history), the 5 fail with
// their row numbers, and nothing of a bad row is written.
func TestBulkEditCSV(t *testing.T) {
	e := newEnv(t)
	var create strings.Builder
	create.WriteString("code,targets.web.url\n")
	for i := range 500 {
		fmt.Fprintf(&create, "BE%03d,https://example.com/old/%d\n", i, i)
	}
	if rec := e.do("POST", "/api/v1/links/bulk", e.admin, "text/csv", create.String()); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"created":500`) {
		t.Fatalf("bulk create = %d %.300s", rec.Code, rec.Body)
	}
	if rec := e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"THEIRS","targets":{"web":{"url":"https://example.com/"}}}`); rec.Code != http.StatusCreated {
		t.Fatal(rec.Body)
	}
	var edit strings.Builder
	edit.WriteString("\ufeffcode,title,targets.web.url\n")
	bad := map[int]string{}
	for i := range 500 {
		row := i + 1
		switch i {
		case 10:
			edit.WriteString("BE010,菜单,ftp://nope\n") // an invalid URL
			bad[row] = "targets.web.url"
		case 20:
			edit.WriteString("NOSUCH,菜单,https://example.com/x\n")
			bad[row] = "not_found"
		case 30:
			edit.WriteString("THEIRS,菜单,https://example.com/x\n") // another tenant's: not found
			bad[row] = "not_found"
		case 40:
			edit.WriteString("BE040,菜单\n") // a cell short
			bad[row] = "malformed"
		case 50:
			edit.WriteString(",菜单,https://example.com/x\n") // no code
			bad[row] = "code"
		default:
			fmt.Fprintf(&edit, "BE%03d,菜单 %d,https://example.com/new/%d\n", i, i, i)
		}
	}
	rec := e.do("PATCH", "/api/v1/links/bulk", e.admin, "text/csv", edit.String())
	if rec.Code != http.StatusOK {
		t.Fatalf("bulk edit = %d %s", rec.Code, rec.Body)
	}
	res := decode[bulkEditResponse](t, rec)
	if res.Changed != 495 || len(res.Failed) != 5 {
		t.Fatalf("bulk edit = %d changed, %d failed, want 495 and 5: %+v", res.Changed, len(res.Failed), res.Failed)
	}
	for _, f := range res.Failed {
		want, ok := bad[f.Row]
		if !ok || (f.Error.Code != want && f.Error.Field != want) {
			t.Errorf("row %d failed with %+v, want %q", f.Row, f.Error, want)
		}
	}
	if l := decode[linkView](t, e.do("GET", "/api/v1/links/BE123", e.admin, "", "")); l.Title != "菜单 123" || l.Targets.Web.URL != "https://example.com/new/123" || l.Version != 2 {
		t.Errorf("BE123 = %q %s v%d, want the edit as version 2", l.Title, l.Targets.Web.URL, l.Version)
	}
	if l := decode[linkView](t, e.do("GET", "/api/v1/links/BE010", e.admin, "", "")); l.Title != "" || l.Version != 1 {
		t.Errorf("the bad row's link changed: %q v%d", l.Title, l.Version)
	}
	if l := decode[linkView](t, e.do("GET", "/api/v1/links/THEIRS", e.otherTenant, "", "")); l.Title != "" {
		t.Errorf("another tenant's link was edited")
	}
}

// TestBulkEditJSON: JSON rows are merge patches; rows are counted before
// any is applied; a viewer may not edit.
func TestBulkEditJSON(t *testing.T) {
	e := newEnv(t)
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"BJ1","tags":["a"],"targets":{"web":{"url":"https://example.com/"}}}`); rec.Code != http.StatusCreated {
		t.Fatal(rec.Body)
	}
	rec := e.json("PATCH", "/api/v1/links/bulk", e.admin, `[{"code":"bj1","change":{"tags":null,"status":"paused"}},{"code":"BJ1"},{"code":"BJ1","change":{},"extra":1}]`)
	res := decode[bulkEditResponse](t, rec)
	if rec.Code != http.StatusOK || res.Changed != 1 || len(res.Failed) != 2 || res.Failed[0].Row != 2 || res.Failed[1].Row != 3 {
		t.Fatalf("bulk edit = %d %s", rec.Code, rec.Body)
	}
	if l := decode[linkView](t, e.do("GET", "/api/v1/links/BJ1", e.admin, "", "")); l.Status != "paused" || len(l.Tags) != 0 {
		t.Errorf("BJ1 = %s %v, want paused without tags", l.Status, l.Tags)
	}
	if rec := e.json("PATCH", "/api/v1/links/bulk", e.viewer, `[]`); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer's bulk edit = %d, want 403", rec.Code)
	}
	many := "[" + strings.Repeat(`{"code":"BJ1","change":{"title":"x"}},`, 10_000) + `{"code":"BJ1","change":{"title":"y"}}]`
	if rec := e.json("PATCH", "/api/v1/links/bulk", e.admin, many); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("10,001 rows = %d, want 422", rec.Code)
	}
	if l := decode[linkView](t, e.do("GET", "/api/v1/links/BJ1", e.admin, "", "")); l.Title != "" {
		t.Errorf("a refused bulk edit changed the link: %q", l.Title)
	}
}
