package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/docs"
	"github.com/scangate/scangate/internal/links"
)

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// Readiness is the body of /readyz: whether this instance can answer
// scans, and the state of what it depends on.
type Readiness struct {
	// Status is "ok" (Redis answers, the cache follows the change feed, the
	// stats writer writes, perhaps still replaying its spool), "degraded"
	// (answering scans, but Redis is down or the cache catching up: cached
	// links answer as last known, events wait in memory or on disk) or
	// "unavailable" (starting and never reached Redis, or shutting down).
	// 200 unless unavailable.
	Status string         `json:"status"`
	Reason string         `json:"reason,omitempty"`
	Redis  RedisReadiness `json:"redis"`
	Cache  *CacheStatus   `json:"cache,omitempty"`
	Stats  *WriterState   `json:"stats,omitempty"`
}

// RedisReadiness says whether Redis answered just now.
type RedisReadiness struct {
	State string `json:"state"` // "up" or "down"
	Error string `json:"error,omitempty"`
}

// CacheStatus is the link cache and its change feed.
type CacheStatus struct {
	State     string    `json:"state"` // in_sync, catching_up or stale
	Since     time.Time `json:"since"`
	Entries   int       `json:"entries"`
	Resyncs   int64     `json:"resyncs"`
	LastError string    `json:"last_error,omitempty"`
	StaleFor  *float64  `json:"stale_seconds,omitempty"`
}

// WriterState is the stats writer's.
type WriterState struct {
	State          string     `json:"state"` // "writing", "replaying" (the spool, after an outage) or "retrying"
	Queue          int        `json:"queue"`
	BacklogBatches int        `json:"backlog_batches"`
	Spool          string     `json:"spool"` // "on" or "off"
	SpooledBatches int64      `json:"spooled_batches"`
	SpooledEvents  int64      `json:"spooled_events"`
	SpooledBytes   int64      `json:"spooled_bytes"`
	LastWrite      *time.Time `json:"last_write,omitempty"`
	FailingSince   *time.Time `json:"failing_since,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
}

// WriteUnavailable answers /readyz for a gateway that cannot answer scans
// at all (it has not reached Redis since it started): 503 with reason.
func WriteUnavailable(w http.ResponseWriter, reason string) {
	writeReadiness(w, &Readiness{Status: "unavailable", Reason: reason, Redis: RedisReadiness{State: "down"}})
}

func writeReadiness(w http.ResponseWriter, r *Readiness) {
	status := http.StatusOK
	if r.Status == "unavailable" {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", storeRetryAfter)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(r)
}

// errorKind says what kind of failure err is, without the addresses and
// paths its text carries: /readyz is public, the log has the details.
func errorKind(err error) string { return errorKindText(err.Error()) }

func errorKindText(msg string) string {
	switch {
	case msg == "":
		return ""
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such file"):
		return "connection refused"
	case strings.Contains(msg, "timeout"), strings.Contains(msg, "deadline exceeded"):
		return "timeout"
	case strings.Contains(msg, "EOF"), strings.Contains(msg, "reset by peer"), strings.Contains(msg, "broken pipe"),
		strings.Contains(msg, "closed"):
		return "connection lost"
	case strings.HasPrefix(msg, "LOADING"):
		return "loading"
	case strings.HasPrefix(msg, "CLUSTERDOWN"), strings.HasPrefix(msg, "MASTERDOWN"):
		return "cluster down"
	}
	return "error"
}

// SetDraining makes /readyz answer 503 from now on: the process is
// shutting down, and load balancers should stop sending it traffic.
func (s *Server) SetDraining() { s.draining.Store(true) }

// readyz answers 200 while this instance can answer scans, with what it
// knows of Redis, its cache and its stats writer; a load balancer keeps an
// instance whose cache serves through a Redis outage ("degraded").
func (s *Server) readyz(c echo.Context) error {
	r := s.readiness(c.Request().Context())
	writeReadiness(c.Response(), r)
	return nil
}

func (s *Server) readiness(ctx context.Context) *Readiness {
	r := &Readiness{Status: "ok", Redis: RedisReadiness{State: "up"}}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := s.deps.Ready(ctx); err != nil {
		r.Redis = RedisReadiness{State: "down", Error: errorKind(err)}
		r.Status = "degraded"
	}
	feed := s.deps.Links.FeedStatus()
	r.Cache = &CacheStatus{State: feed.State, Since: feed.Since.UTC(), Entries: s.deps.Links.CacheLen(),
		Resyncs: feed.Resyncs, LastError: errorKindText(feed.LastError)}
	if feed.State != links.FeedInSync {
		r.Status = "degraded"
		if feed.State == links.FeedStale {
			d := s.now().Sub(feed.Since).Seconds()
			r.Cache.StaleFor = &d
		}
	}
	if rec := s.deps.Recorder; rec != nil {
		st, m := rec.Status(), rec.Metrics()
		w := &WriterState{State: "writing", Queue: m.QueueLen, BacklogBatches: st.Backlog, Spool: "off",
			SpooledBatches: st.Spool.Batches, SpooledEvents: st.Spool.Events, SpooledBytes: st.Spool.Bytes, LastError: errorKindText(st.LastError)}
		if st.SpoolOn {
			w.Spool = "on"
		}
		if !st.LastWrite.IsZero() {
			t := st.LastWrite.UTC()
			w.LastWrite = &t
		}
		if !st.FailingSince.IsZero() {
			t := st.FailingSince.UTC()
			w.FailingSince, w.State = &t, "retrying"
			r.Status = "degraded"
		}
		if st.Spool.Batches > 0 && w.State == "writing" {
			// Writing again, and catching up on what an outage spooled:
			// stats lag, but the instance is in full service.
			w.State = "replaying"
		}
		r.Stats = w
	}
	if s.draining.Load() {
		r.Status, r.Reason = "unavailable", "shutting down"
	}
	return r
}

// verificationFile serves the files host apps fetch to verify that we own
// the domain of an ordinary-link QR rule: 200, the configured content, no
// redirect.
func (s *Server) verificationFile(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("file"), ".txt")
	if !ok {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	return s.serveVerification(c, name)
}

func (s *Server) serveVerification(c echo.Context, name string) error {
	content, ok := s.cfg.VerificationFiles[name]
	if !ok {
		return s.errorPage(c, http.StatusNotFound, "")
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", []byte(fmt.Sprint(content)))
}

// openAPI serves the API reference, docs/openapi.yaml.
func (s *Server) openAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", docs.OpenAPI)
}
