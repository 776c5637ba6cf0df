package main

import (
	"io"
	"net/http"
	"sync/atomic"

	"github.com/scangate/scangate/internal/httpapi"
)

// gateHandler serves the gateway's routes once they exist; until then
// (Redis not reached yet) it answers /healthz, and 503 everywhere else.
type gateHandler struct {
	h atomic.Pointer[httpapi.Server]
}

func (g *gateHandler) set(s *httpapi.Server) { g.h.Store(s) }

func (g *gateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s := g.h.Load(); s != nil {
		s.Handler().ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		io.WriteString(w, "ok\n")
	case "/readyz":
		httpapi.WriteUnavailable(w, "starting: Redis has not answered yet")
	default:
		w.Header().Set("Retry-After", "2")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "服务正在启动，请稍后再扫一次。\nStarting up: please scan again in a moment.\n")
	}
}
