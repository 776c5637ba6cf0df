package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/scangate/scangate/internal/links"
)

const webLink = `{"code":"%s","campaign":"spring","tags":["pudong"],"targets":{"web":{"url":"https://m.example.com/menu"}}}`

func TestLinkLifecycle(t *testing.T) {
	e := newEnv(t)
	rec := e.json("POST", "/api/v1/links", e.admin, fmt.Sprintf(webLink, "Table12"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	created := decode[map[string]any](t, rec)
	if created["short_url"] != "https://gw.example.com/s/Table12" || created["tenant"] != "acme" || created["created_at"] == nil {
		t.Errorf("create response = %v", created)
	}
	if loc := rec.Header().Get("Location"); loc != "/api/v1/links/Table12" {
		t.Errorf("Location = %q", loc)
	}

	if rec := e.do("GET", "/api/v1/links/table12", e.viewer, "", ""); rec.Code != http.StatusOK {
		t.Errorf("viewer get = %d %s", rec.Code, rec.Body)
	}
	rec = e.do("PATCH", "/api/v1/links/Table12", e.admin, "application/merge-patch+json", `{"title":"Table 12","tags":null}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("patch = %d %s", rec.Code, rec.Body)
	}
	if got := decode[map[string]any](t, rec); got["title"] != "Table 12" || got["tags"] != nil {
		t.Errorf("patched = %v", got)
	}
	list := decode[listResponse](t, e.do("GET", "/api/v1/links?campaign=spring", e.viewer, "", ""))
	if len(list.Items) != 1 || list.Items[0].Code != "Table12" {
		t.Errorf("list = %+v", list)
	}
	if rec := e.do("DELETE", "/api/v1/links/Table12", e.admin, "", ""); rec.Code != http.StatusNoContent {
		t.Fatalf("delete = %d %s", rec.Code, rec.Body)
	}
	if rec := e.do("GET", "/api/v1/links/Table12", e.admin, "", ""); rec.Code != http.StatusNotFound {
		t.Errorf("get after delete = %d", rec.Code)
	}
}

func TestAPIErrors(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, fmt.Sprintf(webLink, "taken1"))
	big := `{"title":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, tc := range []struct {
		name, method, path, key, ctype, body string
		status                               int
		code, field                          string
	}{
		{"no key", "GET", "/api/v1/links", "", "", "", 401, "unauthorized", ""},
		{"bad key", "GET", "/api/v1/links", "sgk_nope", "", "", 401, "unauthorized", ""},
		{"viewer create", "POST", "/api/v1/links", "viewer", "application/json", fmt.Sprintf(webLink, "v1x"), 403, "forbidden", ""},
		{"viewer patch", "PATCH", "/api/v1/links/taken1", "viewer", "application/json", `{}`, 403, "forbidden", ""},
		{"viewer delete", "DELETE", "/api/v1/links/taken1", "viewer", "", "", 403, "forbidden", ""},
		{"viewer bulk", "POST", "/api/v1/links/bulk", "viewer", "application/json", `[]`, 403, "forbidden", ""},
		{"malformed", "POST", "/api/v1/links", "admin", "application/json", `{"targets":`, 400, "malformed", ""},
		{"invalid", "POST", "/api/v1/links", "admin", "application/json", `{"targets":{"wechat":{"appid":"wx1"}}}`, 422, "invalid", "targets.wechat.appid"},
		{"unknown field", "POST", "/api/v1/links", "admin", "application/json", `{"nope":1}`, 422, "invalid", "nope"},
		{"field name in the wrong case", "POST", "/api/v1/links", "admin", "application/json", `{"Code":"abc","targets":{"web":{"url":"https://example.com/"}}}`, 422, "invalid", "Code"},
		{"patch field in the wrong case", "PATCH", "/api/v1/links/taken1", "admin", "application/merge-patch+json", `{"Title":"x"}`, 422, "invalid", "Title"},
		{"invalid UTF-8", "POST", "/api/v1/links", "admin", "application/json", "{\"title\":\"\xc4\xe3\xba\xc3\",\"targets\":{\"web\":{\"url\":\"https://example.com/\"}}}", 422, "invalid", "title"},
		{"patch float for a whole number", "PATCH", "/api/v1/links/taken1", "admin", "application/merge-patch+json", `{"max_scans":1e2}`, 422, "invalid", "max_scans"},
		{"patch lone surrogate", "PATCH", "/api/v1/links/taken1", "admin", "application/merge-patch+json", `{"title":"Table \ud83d"}`, 422, "invalid", "title"},
		{"patch invalid UTF-8", "PATCH", "/api/v1/links/taken1", "admin", "application/merge-patch+json", "{\"title\":\"\xff\"}", 422, "invalid", "title"},
		{"bulk row invalid UTF-8", "POST", "/api/v1/links/bulk", "admin", "application/json", "[{\"title\":\"\xff\"}]", 200, "", ""},
		{"code taken", "POST", "/api/v1/links", "admin", "application/json", fmt.Sprintf(webLink, "TAKEN1"), 409, "code_taken", "code"},
		{"too large", "POST", "/api/v1/links", "admin", "application/json", big, 413, "body_too_large", ""},
		{"wrong media type", "POST", "/api/v1/links", "admin", "text/plain", `{}`, 415, "unsupported_media_type", ""},
		{"bulk wrong media type", "POST", "/api/v1/links/bulk", "admin", "application/xml", `<a/>`, 415, "unsupported_media_type", ""},
		{"bulk not array", "POST", "/api/v1/links/bulk", "admin", "application/json", `{"a":1}`, 400, "malformed", ""},
		{"list bad limit", "GET", "/api/v1/links?limit=501", "admin", "", "", 422, "invalid", "limit"},
		{"list bad cursor", "GET", "/api/v1/links?cursor=zzz", "admin", "", "", 422, "invalid", "cursor"},
		{"list bad status", "GET", "/api/v1/links?status=gone", "admin", "", "", 422, "invalid", "status"},
		{"unknown route", "GET", "/api/v1/nothing", "admin", "", "", 404, "not_found", ""},
		{"unknown link", "GET", "/api/v1/links/nothere", "admin", "", "", 404, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := map[string]string{"admin": e.admin, "viewer": e.viewer}[tc.key]
			if strings.HasPrefix(tc.key, "sgk_") {
				key = tc.key
			}
			rec := e.do(tc.method, tc.path, key, tc.ctype, tc.body)
			if rec.Code != tc.status {
				t.Fatalf("%s %s = %d, want %d: %.200s", tc.method, tc.path, rec.Code, tc.status, rec.Body)
			}
			if tc.status == 200 {
				if !strings.Contains(rec.Body.String(), `"field":"title"`) {
					t.Fatalf("bulk answer %s does not name the row's field", rec.Body)
				}
				return
			}
			got := errorOf(t, rec)
			if got.Code != tc.code || got.Field != tc.field || got.Message == "" {
				t.Fatalf("error = %+v, want code %q field %q", got, tc.code, tc.field)
			}
		})
	}
}

func TestTenantsSeeOnlyTheirOwn(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, fmt.Sprintf(webLink, "acme01"))
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/api/v1/links/acme01", ""},
		{"PATCH", "/api/v1/links/acme01", `{"title":"mine now"}`},
		{"DELETE", "/api/v1/links/acme01", ""},
	} {
		rec := e.json(tc.method, tc.path, e.otherTenant, tc.body)
		if rec.Code != http.StatusNotFound || errorOf(t, rec).Code != "not_found" {
			t.Errorf("other tenant %s = %d %s, want 404 exactly as if absent", tc.method, rec.Code, rec.Body)
		}
	}
	for _, q := range []string{"", "?campaign=spring", "?tag=pudong"} {
		if list := decode[listResponse](t, e.do("GET", "/api/v1/links"+q, e.otherTenant, "", "")); len(list.Items) != 0 {
			t.Errorf("other tenant list%s = %d items", q, len(list.Items))
		}
	}
	if rec := e.do("GET", "/api/v1/links/acme01", e.admin, "", ""); rec.Code != 200 || strings.Contains(rec.Body.String(), "mine now") {
		t.Errorf("owner's link changed: %d %s", rec.Code, rec.Body)
	}
}

func TestListPagination(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 7; i++ {
		e.json("POST", "/api/v1/links", e.admin, fmt.Sprintf(webLink, fmt.Sprintf("page%02d", i)))
	}
	var seen []string
	path := "/api/v1/links?limit=3"
	for pages := 0; pages < 10; pages++ {
		list := decode[listResponse](t, e.do("GET", path, e.viewer, "", ""))
		for _, l := range list.Items {
			seen = append(seen, l.Code)
		}
		if list.NextCursor == "" {
			break
		}
		path = "/api/v1/links?limit=3&cursor=" + list.NextCursor
	}
	want := "page06 page05 page04 page03 page02 page01 page00"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("pages = %s, want %s", got, want)
	}
}

func TestBulkEndpoint(t *testing.T) {
	e := newEnv(t)
	rec := e.json("POST", "/api/v1/links/bulk", e.admin, `[
		{"code":"b-one","targets":{"web":{"url":"https://e.com/1"}}},
		{"code":"b-two","targets":{"web":{"url":"nope"}}},
		{"code":"b-three","targets":{"web":{"url":"https://e.com/3"}}}]`)
	if rec.Code != http.StatusOK {
		t.Fatalf("bulk = %d %s", rec.Code, rec.Body)
	}
	got := decode[bulkResponse](t, rec)
	if got.Created != 2 || len(got.Failed) != 1 || got.Failed[0].Row != 2 ||
		got.Failed[0].Error.Field != "targets.web.url" || len(got.Items) != 2 {
		t.Fatalf("bulk = %+v", got)
	}
	csv := "code,title,targets.web.url\nc-one,\"One, with comma\",https://e.com/1\nc-two,Two,ftp://bad\n"
	rec = e.do("POST", "/api/v1/links/bulk", e.admin, "text/csv; charset=utf-8", csv)
	got = decode[bulkResponse](t, rec)
	if rec.Code != 200 || got.Created != 1 || len(got.Failed) != 1 || got.Failed[0].Row != 2 || got.Items[0].Title != "One, with comma" {
		t.Fatalf("bulk csv = %d %+v", rec.Code, got)
	}
}

func TestErrorMessagesCarryNoInternalPrefixes(t *testing.T) {
	e := newEnv(t)
	e.json("POST", "/api/v1/links", e.admin, fmt.Sprintf(webLink, "msg1"))
	for _, path := range []string{
		"/api/v1/links/msg1/qr?size=9",
		"/api/v1/links/msg1/stats?granularity=week",
	} {
		got := errorOf(t, e.do("GET", path, e.viewer, "", ""))
		if strings.HasPrefix(got.Message, "qr:") || strings.HasPrefix(got.Message, "stats:") || !strings.HasPrefix(got.Message, got.Field+": ") {
			t.Errorf("GET %s message = %q: want \"<field>: <reason>\" and no package prefix", path, got.Message)
		}
	}
	rows := "[" + strings.Repeat("1,", links.MaxBulkRows) + "1]"
	if got := errorOf(t, e.json("POST", "/api/v1/links/bulk", e.admin, rows)); got.Message != "a bulk request may hold at most 10000 rows" {
		t.Errorf("too many rows: message %q, want it without a package's prefix", got.Message)
	}
}
