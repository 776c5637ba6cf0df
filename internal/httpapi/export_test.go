package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestLinksExport: the tenant's links as JSONL (live and trashed, every
// field) and as CSV in the bulk create's columns, which bulk create takes
// back as it is; another tenant's links are not in it.
func TestLinksExport(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"code":"EX1","title":"桌 1","campaign":"c","tags":["a","b"],"params":{"table":"1"},"targets":{"wechat":{"appid":"wx1234567890abcdef","path":"pages/menu/index"},"web":{"url":"https://example.com/1"}}}`,
		`{"code":"EX2","max_scans":5,"targets":{"alipay":{"appid":"2021001234567890","page":"pages/x"}},"rules":[{"name":"wx","when":{"platform":["wechat"]},"fallback_url":"https://example.com/wx"}]}`,
		`{"code":"EX3","targets":{"web":{"url":"https://example.com/3"}}}`,
	} {
		if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
			t.Fatal(rec.Body)
		}
	}
	e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"OTHER1","targets":{"web":{"url":"https://example.com/o"}}}`)
	e.do("DELETE", "/api/v1/links/EX3", e.admin, "", "")

	rec := e.do("GET", "/api/v1/links/export", e.admin, "", "")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/jsonl") {
		t.Fatalf("jsonl export = %d %s", rec.Code, rec.Header())
	}
	states := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(rec.Body.String()))
	for sc.Scan() {
		var v struct {
			Code  string `json:"code"`
			State string `json:"state"`
			Rules []any  `json:"rules"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		states[v.Code] = v.State
	}
	if len(states) != 3 || states["EX3"] != "trashed" || states["EX1"] != "live" || states["OTHER1"] != "" {
		t.Errorf("jsonl export holds %v, want the tenant's 3 links, EX3 trashed", states)
	}

	rec = e.do("GET", "/api/v1/links/export?format=csv", e.admin, "", "")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.HasPrefix(body, "\ufeffcode,title,") || strings.Contains(body, "EX3") || strings.Contains(body, "OTHER1") {
		t.Fatalf("csv export = %d %.400s", rec.Code, body)
	}
	if !strings.Contains(body, "EX1,桌 1,c,a|b,") || !strings.Contains(body, "params.table") {
		t.Errorf("csv export lacks EX1's fields: %s", body)
	}
	// The export goes back through bulk create, in another tenant.
	back := e.do("POST", "/api/v1/links/bulk", e.otherTenant, "text/csv", strings.ReplaceAll(body, "EX", "BK"))
	if back.Code != http.StatusOK || !strings.Contains(back.Body.String(), `"created":2`) {
		t.Errorf("the csv export sent back to bulk create = %d %s", back.Code, back.Body)
	}
	if rec := e.do("GET", "/api/v1/links/export?format=xml", e.admin, "", ""); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("format=xml = %d, want 422", rec.Code)
	}
}

// TestBulkUpsert: a CSV export edited in a spreadsheet goes back with
// mode=upsert: changed rows update their links (a version each), equal
// rows change nothing, new codes are created, another tenant's code and a
// bad mode are refused.
func TestBulkUpsert(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{
		`{"code":"UP1","title":"old","targets":{"web":{"url":"https://example.com/1"}}}`,
		`{"code":"UP2","title":"same","targets":{"web":{"url":"https://example.com/2"}},"rules":[{"name":"wx","when":{"platform":["wechat"]},"fallback_url":"https://example.com/wx"}],"max_scans_per_visitor":{"count":2,"per":"day"}}`,
	} {
		if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
			t.Fatal(rec.Body)
		}
	}
	e.json("POST", "/api/v1/links", e.otherTenant, `{"code":"THEIRS2","targets":{"web":{"url":"https://example.com/o"}}}`)
	csv := e.do("GET", "/api/v1/links/export?format=csv", e.admin, "", "").Body.String()
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	edited := []string{lines[0]}
	up1 := ""
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "UP1,") {
			up1 = l
		}
		edited = append(edited, strings.Replace(l, ",old,", ",new,", 1))
	}
	edited = append(edited, strings.Replace(strings.Replace(up1, "UP1", "UP3", 1), ",old,", ",third,", 1),
		strings.Replace(up1, "UP1", "THEIRS2", 1))
	body := strings.Join(edited, "\n") + "\n"
	rec := e.do("POST", "/api/v1/links/bulk?mode=upsert", e.admin, "text/csv", body)
	var res struct {
		Created, Updated, Unchanged int
		Failed                      []bulkFailure
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("upsert = %d %s", rec.Code, rec.Body)
	}
	if res.Created != 1 || res.Updated != 1 || res.Unchanged != 1 || len(res.Failed) != 1 || res.Failed[0].Row != 4 {
		t.Errorf("upsert = %+v, want 1 created, 1 updated, 1 unchanged, row 4 (another tenant's) failed", res)
	}
	if l := decode[linkView](t, e.do("GET", "/api/v1/links/UP1", e.admin, "", "")); l.Title != "new" || l.Version != 2 {
		t.Errorf("UP1 = %q v%d, want new as version 2", l.Title, l.Version)
	}
	if l := decode[linkView](t, e.do("GET", "/api/v1/links/UP2", e.admin, "", "")); l.Version != 1 || len(l.Rules) != 1 || l.MaxScansPerVisitor == nil {
		t.Errorf("UP2 after an equal CSV row: v%d, %d rules, visitor limit %v; want it untouched", l.Version, len(l.Rules), l.MaxScansPerVisitor)
	}
	if rec := e.do("POST", "/api/v1/links/bulk?mode=replace", e.admin, "text/csv", body); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("mode=replace = %d, want 422", rec.Code)
	}
}
