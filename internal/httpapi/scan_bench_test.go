package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
