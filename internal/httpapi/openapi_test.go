package httpapi

import (
	"bytes"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/scangate/scangate/docs"
	"github.com/scangate/scangate/internal/apitest"
)

// The API reference (docs/openapi.yaml) is checked three ways: it is a
// valid OpenAPI 3.1 document; it documents every route of routes.go and
// nothing else; and every response the tests of this package get through
// testEnv.do is checked against it (status, content type and, for JSON,
// YAML and CSV, body), so a change of what the API answers that the
// reference does not follow fails the test that made the request.

// documented lists the reference's operations as "METHOD /path".
func documented(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIRoutes: the reference documents every route the server has,
// and only those; it is served as it is.
func TestOpenAPIRoutes(t *testing.T) {
	doc, _ := apitest.Spec(t)
	e := newEnv(t)
	var routes []string
	for _, r := range e.srv.echo.Routes() {
		switch {
		case !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, r.Method),
			strings.HasPrefix(r.Path, "/S/"),                     // the upper-case twin of /s/
			strings.HasPrefix(r.Path, "/console"), r.Path == "/", // the console's pages are not the API
			strings.HasSuffix(r.Path, "/") && r.Path != "/", // a trailing slash is the same route
			strings.HasSuffix(r.Path, "*"):                  // catch-alls
			continue
		}
		path := r.Path
		parts := strings.Split(path, "/")
		for i, p := range parts {
			if strings.HasPrefix(p, ":") {
				parts[i] = "{" + p[1:] + "}"
			}
		}
		path = strings.Join(parts, "/")
		if path == "/api/v1/campaigns/{campaign}/{action}" {
			// Documented as one operation per action.
			for _, a := range []string{"pause", "resume", "delete"} {
				routes = append(routes, r.Method+" /api/v1/campaigns/{campaign}/"+a)
			}
			continue
		}
		routes = append(routes, r.Method+" "+path)
	}
	sort.Strings(routes)
	routes = slices.Compact(routes)
	docd := documented(doc)
	for _, r := range routes {
		if !slices.Contains(docd, r) {
			t.Errorf("route %s is not in docs/openapi.yaml", r)
		}
	}
	for _, d := range docd {
		if !slices.Contains(routes, d) {
			t.Errorf("docs/openapi.yaml documents %s, which is no route", d)
		}
	}
	for _, op := range doc.Paths.Map() {
		for method, o := range op.Operations() {
			if o.OperationID == "" || o.Summary == "" {
				t.Errorf("%s %v: every operation needs an operationId and a summary", method, o.OperationID)
			}
		}
	}

	// The checks of checkResponse run: a request through testEnv.do is
	// found in the reference and its answer counted as checked.
	before := apitest.Checked
	n1, n2 := before("POST /api/v1/links"), before("GET /api/v1/links/{code}")
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"oa-1","title":"二楼靠窗七号桌","targets":{"web":{"url":"https://e.com/"}}}`); rec.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", rec.Code, rec.Body)
	}
	e.do("GET", "/api/v1/links/oa-1", e.viewer, "", "")
	if before("POST /api/v1/links") != n1+1 || before("GET /api/v1/links/{code}") != n2+1 {
		t.Error("responses through testEnv.do are not checked against the reference: does its router match the test's requests?")
	}

	rec := e.do("GET", "/api/v1/openapi.yaml", "", "", "")
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), docs.OpenAPI) ||
		!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/yaml") {
		t.Errorf("GET /api/v1/openapi.yaml = %d %q, %d bytes", rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len())
	}
}
