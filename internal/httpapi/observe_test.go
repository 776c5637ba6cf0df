package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestObserve: a handler that panics answers 500 without the panic's text,
// and the log has it with its stack; failures are logged at their level,
// successes not at info; every request is counted by route and status.
func TestObserve(t *testing.T) {
	e := newEnv(t)
	srv, logs := e.loggedServer()
	srv.echo.GET("/s/boom/panic", func(echo.Context) error { panic("secret internals") })
	e.mustLink("obs1", "", "")

	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}
	rec := get("/s/boom/panic")
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("panicking handler: %d %q; want 500 without the panic's text", rec.Code, rec.Body)
	}
	l := logs.String()
	if !strings.Contains(l, "level=ERROR msg=\"handler panicked\"") || !strings.Contains(l, "secret internals") ||
		!strings.Contains(l, "observe_test.go") {
		t.Errorf("log lacks the panic and its stack:\n%s", l)
	}
	if rec := get("/s/obs1"); rec.Code != 302 {
		t.Fatalf("scan = %d, want 302", rec.Code)
	}
	if rec := get("/api/v1/links"); rec.Code != 401 {
		t.Fatalf("no key = %d, want 401", rec.Code)
	}
	l = logs.String()
	if strings.Contains(l, "uri=/s/obs1") {
		t.Errorf("a successful scan was logged at info level:\n%s", l)
	}
	if !strings.Contains(l, "level=WARN msg=request method=GET uri=/api/v1/links status=401") {
		t.Errorf("the 401 was not logged as a warning:\n%s", l)
	}
	m := httptest.NewRecorder()
	srv.MetricsHandler().ServeHTTP(m, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`scangate_http_requests_total{route="/s/boom/panic",status="500"} 1`,
		`scangate_http_requests_total{route="/s/:code",status="302"} 1`,
		`scangate_http_requests_total{route="/api/v1/links",status="401"} 1`,
	} {
		if !strings.Contains(m.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestLaunchURLFollowsEdits: launch URLs are cached per link version and
// decision; an edit of the target is served from the next scan on.
func TestLaunchURLFollowsEdits(t *testing.T) {
	e := newEnv(t)
	create := `{"code":"edit1","targets":{"alipay":{"appid":"2021001234567890","page":"pages/a/index"}}}`
	if rec := e.json("POST", "/api/v1/links", e.admin, create); rec.Code != 201 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	scan := func() string {
		rec := e.do("GET", "/s/edit1", "", "", "", "User-Agent", uaAlipayAndroid)
		if rec.Code != 302 {
			t.Fatalf("scan = %d, want 302", rec.Code)
		}
		return rec.Header().Get("Location")
	}
	for range 2 { // the second from the cache
		if loc := scan(); !strings.Contains(loc, "pages/a/index") {
			t.Fatalf("scan went to %q, want page a", loc)
		}
	}
	patch := `{"targets":{"alipay":{"appid":"2021001234567890","page":"pages/b/index"}}}`
	if rec := e.do("PATCH", "/api/v1/links/edit1", e.admin, "application/merge-patch+json", patch); rec.Code != 200 {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	if loc := scan(); !strings.Contains(loc, "pages/b/index") {
		t.Fatalf("after the edit the scan went to %q, want page b", loc)
	}
}

// TestObservePanics: whatever a handler panics with answers 500, and
// net/http's ErrAbortHandler is passed on to cut the response off.
func TestObservePanics(t *testing.T) {
	e := newEnv(t)
	e.srv.echo.GET("/s/boom/httperror", func(echo.Context) error { panic(echo.NewHTTPError(404)) })
	e.srv.echo.GET("/s/boom/abort", func(echo.Context) error { panic(http.ErrAbortHandler) })
	if rec := e.do("GET", "/s/boom/httperror", "", "", ""); rec.Code != 500 {
		t.Errorf("panic with an HTTP error = %d, want 500", rec.Code)
	}
	defer func() {
		if r := recover(); r != http.ErrAbortHandler {
			t.Errorf("ErrAbortHandler: recovered %v, want it passed on", r)
		}
	}()
	e.do("GET", "/s/boom/abort", "", "", "")
	t.Error("ErrAbortHandler was swallowed")
}

// TestLogsUnderFloods: secrets in a URL never reach the log; scans of
// unknown codes are debug lines summed up at info level; a flood of
// refused requests writes a few lines saying how many they stand for.
func TestLogsUnderFloods(t *testing.T) {
	e := newEnv(t)
	srv, logs := e.loggedServer()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	srv.now = func() time.Time { return now }
	get := func(path string) {
		srv.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	get("/api/v1/links?api_key=sgk_LEAKED123&Token=tok_LEAKED&sig=abc&limit=5")
	get("/api/v1/links?limit=5;api_key=sgk_LEAKED456")
	get("/api/v1/links?api%5Fkey=sgk_LEAKED789&api_key%=sgk_LEAKEDabc")
	l := logs.String()
	if strings.Contains(l, "LEAKED") || strings.Contains(l, "sig=abc") || !strings.Contains(l, "api_key=REDACTED") || !strings.Contains(l, "limit=5") {
		t.Errorf("the access log shows secrets, or lost the rest of the query:\n%s", l)
	}
	for i := range 1000 {
		get(fmt.Sprintf("/s/nothere%04d", i))
	}
	for range 1000 {
		get("/api/v1/links")
	}
	l = logs.String()
	if n := strings.Count(l, "uri=/s/nothere"); n != 0 {
		t.Errorf("%d scans of unknown codes logged above debug level", n)
	}
	if !strings.Contains(l, `msg="scans of unknown or ended codes (each is logged at debug level)" count=1`) {
		t.Errorf("no info summary of the missed scans:\n%.2000s", l)
	}
	// The same instant: one line for all the 401s (no key was tried, so
	// the address is not blocked).
	if n := strings.Count(l, "status=401"); n != 1 {
		t.Errorf("1002 refused requests in one instant wrote %d lines of 401, want 1", n)
	}
	now = now.Add(time.Second)
	get("/api/v1/links")
	if l := logs.String(); !strings.Contains(l, "like_it_not_logged=1002") {
		t.Errorf("the next line does not say how many it stands for:\n%s", l[max(0, len(l)-600):])
	}
}
