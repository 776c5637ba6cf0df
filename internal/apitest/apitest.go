// Package apitest checks the gateway's answers against its API reference,
// docs/openapi.yaml, for the tests of the packages that serve it (httpapi,
// through its test environment, and cmd/gateway, through the running
// binary). It is imported by tests only.
package apitest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/scangate/scangate/docs"
)

var spec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error

	mu      sync.Mutex
	checked map[string]int // operations answered and checked, "GET /path"
}

func init() {
	// Bodies checked as opaque bytes: their schema is a binary string.
	for _, ct := range []string{"image/png", "image/svg+xml", "image/jpeg", "application/pdf", "application/zip",
		"text/html", "application/x-ndjson", "application/jsonl"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

// Spec loads docs/openapi.yaml (once), checks it is a valid document and
// returns it with a router over its operations.
func Spec(tb testing.TB) (*openapi3.T, routers.Router) {
	tb.Helper()
	spec.once.Do(func() {
		loader := openapi3.NewLoader()
		spec.doc, spec.err = loader.LoadFromData(docs.OpenAPI)
		if spec.err == nil {
			spec.err = spec.doc.Validate(loader.Context)
		}
		if spec.err == nil {
			spec.router, spec.err = legacy.NewRouter(spec.doc)
		}
		spec.checked = map[string]int{}
	})
	if spec.err != nil {
		tb.Fatalf("docs/openapi.yaml: %v", spec.err)
	}
	return spec.doc, spec.router
}

// Check checks one answer (status, header, body) to req against the
// reference; a mismatch fails tb. Requests to no documented operation (a
// wrong method, an unknown path: the tests of those) are not checked
// here: httpapi's TestOpenAPIRoutes checks that every route is documented.
// HEAD is checked as the GET it answers like, without a body.
func Check(tb testing.TB, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) {
	tb.Helper()
	_, router := Spec(tb)
	probe := req.Clone(context.Background())
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	if probe.Method == http.MethodHead {
		if status == http.StatusMethodNotAllowed {
			return // a route that answers GET only
		}
		probe.Method = http.MethodGet
	}
	if probe.URL.Host == "" {
		probe.URL.Scheme, probe.URL.Host = "https", "gw.example.com"
	}
	route, pathParams, err := router.FindRoute(probe)
	if err != nil {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: probe, PathParams: pathParams, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: status,
		Header: header,
		Body:   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if status == http.StatusNoContent || status == http.StatusNotModified || req.Method == http.MethodHead {
		in.Options.ExcludeResponseBody = true
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		tb.Errorf("docs/openapi.yaml does not describe %s %s → %d %s:\n%v\nbody: %.400s",
			req.Method, req.URL.RequestURI(), status, header.Get("Content-Type"), err, body)
		return
	}
	spec.mu.Lock()
	spec.checked[probe.Method+" "+route.Path]++
	spec.mu.Unlock()
}

// Checked is how many answers of an operation ("GET /api/v1/links") have
// been checked so far by this test binary.
func Checked(op string) int {
	spec.mu.Lock()
	defer spec.mu.Unlock()
	return spec.checked[op]
}
