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

	rec := e.do("GET", "/api/v1/links/export", e.viewer, "", "")
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
