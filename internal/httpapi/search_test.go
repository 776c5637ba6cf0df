package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
)

// listCodes pages through GET /api/v1/links with query and returns the
// codes in order.
func (e *testEnv) listCodes(query string) []string {
	e.t.Helper()
	var got []string
	cursor := ""
	for pages := 0; pages < 50; pages++ {
		path := "/api/v1/links?" + query
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		rec := e.do("GET", path, e.viewer, "", "")
		if rec.Code != http.StatusOK {
			e.t.Fatalf("GET %s = %d %s", path, rec.Code, rec.Body)
		}
		page := decode[listResponse](e.t, rec)
		for _, v := range page.Items {
			got = append(got, v.Code)
		}
		if page.NextCursor == "" {
			return got
		}
		cursor = page.NextCursor
	}
	e.t.Fatalf("GET /api/v1/links?%s never ends", query)
	return nil
}

func TestSearchAndSortByScans(t *testing.T) {
	e := newEnv(t)
	for i, title := range []string{"二楼靠窗七号桌", "一楼 Coffee Bar", "Coffee shop 北京", "海报 Poster", "门口"} {
		body := fmt.Sprintf(`{"code":"TB%03d","title":%q,"targets":{"web":{"url":"https://m.example.com/%d"}}}`, i, title, i)
		if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"q=" + url.QueryEscape("靠窗"), []string{"TB000"}},
		{"q=coffee", []string{"TB002", "TB001"}},
		{"q=" + url.QueryEscape("ＣＯＦＦＥＥ 北京"), []string{"TB002"}},
		{"q=tb00&limit=2", []string{"TB000", "TB001", "TB002", "TB003", "TB004"}},
		{"q=nothing", nil},
	} {
		if got := e.listCodes(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	// Another tenant's links are never found.
	if rec := e.do("GET", "/api/v1/links?q=coffee", e.otherTenant, "", ""); len(decode[listResponse](t, rec).Items) != 0 {
		t.Errorf("another tenant found acme's links: %s", rec.Body)
	}

	// Scans: TB003 ×3, TB001 ×2, TB004 ×1; the rest, never scanned, after
	// them, newest first.
	for code, n := range map[string]int{"TB003": 3, "TB001": 2, "TB004": 1} {
		for range n {
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, httptestRequest("GET", "/s/"+code, uaSafariIOS, "192.0.2.10:4000"))
			if rec.Code != http.StatusFound {
				t.Fatalf("scan %s: %d", code, rec.Code)
			}
		}
	}
	e.drainStats()
	want := []string{"TB003", "TB001", "TB004", "TB002", "TB000"}
	for _, limit := range []string{"1", "2", "50"} {
		if got := e.listCodes("sort=scans&limit=" + limit); !slices.Equal(got, want) {
			t.Errorf("sort=scans limit=%s: %q, want %q", limit, got, want)
		}
	}
	if got := e.listCodes("sort=scans&q=coffee"); !slices.Equal(got, []string{"TB001", "TB002"}) {
		t.Errorf("sort=scans&q=coffee: %q", got)
	}

	// Links scanned before the rank existed are ranked by their totals
	// on the first sort by scans.
	ctx := context.Background()
	e.rdb.Del(ctx, "sg:{e:acme}:rank", "sg:{t:acme}:indexed:3")
	e.links.ForgetSearchIndex("acme")
	if got := e.listCodes("sort=scans"); !slices.Equal(got, want) {
		t.Errorf("sort=scans after the upgrade: %q, want %q", got, want)
	}

	for query, field := range map[string]string{"sort=name": "sort", "q=%20%20": "q", "q=a&sort=scans&cursor=zz": "cursor"} {
		rec := e.do("GET", "/api/v1/links?"+query, e.viewer, "", "")
		if rec.Code != http.StatusUnprocessableEntity || errorOf(t, rec).Field != field {
			t.Errorf("GET ?%s = %d %s, want 422 on %s", query, rec.Code, rec.Body, field)
		}
	}
}
