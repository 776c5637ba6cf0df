package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/scangate/scangate/internal/geo"
	"github.com/scangate/scangate/internal/geo/geotest"
)

// benchScan measures GET /s/{code} through the whole echo stack for a
// cached link: the figure the README quotes. The stats writer is stopped so
// that its batch work, which runs off the request path (and is measured by
// internal/stats's benchmarks), does not count here; Record still makes its
// non-blocking send, and drops once the queue is full, as it would under
// overload.
func benchScan(b *testing.B, code, ua string, wantStatus int) {
	e := newEnv(b)
	e.drainStats()
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"`+code+`",`+multiTargets+`}`); rec.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	h := e.srv.Handler()
	req := httptest.NewRequest("GET", "/s/"+code, nil)
	req.Header.Set("User-Agent", ua)
	warm := httptest.NewRecorder()
	h.ServeHTTP(warm, req)
	if warm.Code != wantStatus {
		b.Fatalf("status %d, want %d", warm.Code, wantStatus)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := discardWriter{h: http.Header{}}
		h.ServeHTTP(&w, req)
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler rather than a recorder's buffers.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }

func BenchmarkScanRedirect(b *testing.B) { benchScan(b, "bench1", uaAlipayAndroid, http.StatusFound) }
func BenchmarkScanLanding(b *testing.B)  { benchScan(b, "bench2", uaSafariIOS, http.StatusOK) }
func BenchmarkScanWeChatPage(b *testing.B) {
	benchScan(b, "bench3", uaWeChatIOS, http.StatusOK)
}

// BenchmarkScanRoutedRedirect is the budget case: GeoIP configured,
// a client behind the trusted proxy, and a link with five rules (the last,
// a city rule, matches) and an A/B split: geography, visitor id and the
// decision are all on the request path.
func BenchmarkScanRoutedRedirect(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")} })
	db, err := geo.Open(geotest.Path(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e.srv.deps.Geo = db
	if err := e.recorder.LoadSalt(b.Context(), time.Now()); err != nil {
		b.Fatal(err)
	}
	e.drainStats()
	const alipay = `"alipay":{"appid":"2021001234567890","page":"pages/%s/index"}`
	t := func(page string) string { return `{` + fmt.Sprintf(alipay, page) + `}` }
	body := `{"code":"bench4","targets":` + t("menu") + `,"rules":[
		{"name":"breakfast","when":{"time":{"from":"06:00","to":"06:01"}},"targets":` + t("breakfast") + `},
		{"name":"ios-en","when":{"os":["ios"],"lang":["en"]},"targets":` + t("en") + `},
		{"name":"abroad","when":{"country":["US","JP","KR"]},"targets":` + t("abroad") + `},
		{"name":"android-weibo","when":{"platform":["weibo"]},"targets":` + t("weibo") + `},
		{"name":"shanghai","when":{"city":["北京","广州","上海"]},"targets":` + t("sh") + `}],
		"split":{"variants":[{"name":"A","weight":50},{"name":"B","weight":50,"targets":` + t("b") + `}]}}`
	if rec := e.json("POST", "/api/v1/links", e.admin, body); rec.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	h := e.srv.Handler()
	req := httptest.NewRequest("GET", "/s/bench4", nil)
	req.Header.Set("User-Agent", uaAlipayAndroid)
	req.Header.Set("X-Forwarded-For", geotest.Shanghai.Addr.String())
	req.RemoteAddr = "10.0.0.1:4711"
	warm := httptest.NewRecorder()
	h.ServeHTTP(warm, req)
	if loc := warm.Header().Get("Location"); !strings.Contains(loc, "pages/sh/index") {
		b.Fatalf("warm-up went to %q, want the Shanghai rule's page", loc)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := discardWriter{h: http.Header{}}
		h.ServeHTTP(&w, req)
	}
}

func BenchmarkScanWebOnly(b *testing.B) {
	e := newEnv(b)
	e.drainStats()
	if rec := e.json("POST", "/api/v1/links", e.admin, `{"code":"benchw","campaign":"load","targets":{"web":{"url":"https://m.example.com/"}}}`); rec.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	h := e.srv.Handler()
	req := httptest.NewRequest("GET", "/s/benchw", nil)
	req.Header.Set("User-Agent", uaAlipayAndroid)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := discardWriter{h: http.Header{}}
		h.ServeHTTP(&w, req)
		if w.status != http.StatusFound {
			b.Fatalf("status %d", w.status)
		}
	}
}
