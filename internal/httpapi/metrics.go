package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// metrics is the gateway's Prometheus registry. The domain packages expose
// plain counters; only this file knows Prometheus.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	scans    [platform.OtherApp + 1]prometheus.Counter
	// platformCalls counts calls to WeChat's and Douyin's APIs for
	// launch links, by app: their quotas are per app.
	platformCalls *prometheus.CounterVec

	mu     sync.RWMutex
	routes map[routeStatus]routeMetric
}

type routeStatus struct {
	route  string
	status int
}

type routeMetric struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scangate_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "scangate_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5},
		}, []string{"route"}),
		routes: make(map[routeStatus]routeMetric),
		platformCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scangate_platform_calls_total",
			Help: "Calls to WeChat's and Douyin's APIs for launch links, by app, API (url_link, scheme) and outcome (ok, refused, throttled, stale_token, failed).",
		}, []string{"platform", "app", "api", "outcome"}),
	}
	scans := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "scangate_scans_total", Help: "Scans answered by this instance (bots excluded), by host app.",
	}, []string{"platform"})
	for app := range m.scans {
		m.scans[app] = scans.WithLabelValues(platform.App(app).String())
	}
	m.reg.MustRegister(m.requests, m.latency, scans, m.platformCalls,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	rec := func() float64Snapshot { return recorderSnapshot(s) }
	for _, c := range []struct {
		name, help string
		value      func(float64Snapshot) float64
		gauge      bool
	}{
		{"scangate_stats_events_recorded_total", "Events accepted into the stats queue.", func(v float64Snapshot) float64 { return v.recorded }, false},
		{"scangate_stats_events_dropped_total", "Events dropped because the stats queue was full.", func(v float64Snapshot) float64 { return v.dropped }, false},
		{"scangate_stats_events_written_total", "Events applied to Redis.", func(v float64Snapshot) float64 { return v.written }, false},
		{"scangate_stats_events_lost_total", "Accepted events given up (shutdown timeout, permanent Redis refusal).", func(v float64Snapshot) float64 { return v.lost }, false},
		{"scangate_stats_batches_total", "Stats batches applied.", func(v float64Snapshot) float64 { return v.batches }, false},
		{"scangate_stats_batch_retries_total", "Failed attempts to write a stats batch.", func(v float64Snapshot) float64 { return v.retries }, false},
		{"scangate_stats_queue_length", "Events waiting for Redis.", func(v float64Snapshot) float64 { return v.queueLen }, true},
		{"scangate_stats_events_spooled_total", "Events written to the disk spool while Redis could not take them.", func(v float64Snapshot) float64 { return v.spooled }, false},
		{"scangate_stats_events_replayed_total", "Events spooled by an earlier process and written by this one.", func(v float64Snapshot) float64 { return v.replayed }, false},
		{"scangate_stats_ops_refused_total", "Counter operations Redis refused (a counter at its limit, a key of another type), skipped.", func(v float64Snapshot) float64 { return v.refused }, false},
	} {
		value := c.value
		f := func() float64 { return value(rec()) }
		if c.gauge {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: c.name, Help: c.help}, f))
		} else {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help}, f))
		}
	}
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_link_cache_entries", Help: "Links (and known-unknown codes) held in memory."},
			func() float64 { return float64(s.deps.Links.CacheLen()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_link_feed_in_sync", Help: "1 while the link cache follows the change feed; 0 while Redis is unreachable (stale) or it catches up."},
			func() float64 { return boolFloat(s.deps.Links.FeedStatus().State == links.FeedInSync) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_link_feed_state_since_seconds", Help: "Unix time the change feed entered its current state."},
			func() float64 { return float64(s.deps.Links.FeedStatus().Since.UnixNano()) / 1e9 }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scangate_link_feed_resyncs_total", Help: "Full revalidations of the link cache after the change feed lost its place."},
			func() float64 { return float64(s.deps.Links.FeedStatus().Resyncs) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_stats_spool_batches", Help: "Stats batches waiting on disk."},
			func() float64 { return float64(s.deps.Recorder.Status().Spool.Batches) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_stats_spool_events", Help: "Events waiting on disk."},
			func() float64 { return float64(s.deps.Recorder.Status().Spool.Events) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_stats_spool_bytes", Help: "Bytes of the disk spool."},
			func() float64 { return float64(s.deps.Recorder.Status().Spool.Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_stats_writer_failing", Help: "1 while the stats writer retries a batch Redis did not take."},
			func() float64 { return boolFloat(!s.deps.Recorder.Status().FailingSince.IsZero()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_stats_last_write_timestamp_seconds", Help: "Unix time of the last stats batch applied (0: none yet)."},
			func() float64 {
				if t := s.deps.Recorder.Status().LastWrite; !t.IsZero() {
					return float64(t.UnixNano()) / 1e9
				}
				return 0
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scangate_qr_cache_hits_total", Help: "QR images served from memory."},
			func() float64 { return float64(s.deps.QRCache.Stats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scangate_qr_renders_total", Help: "QR images rendered."},
			func() float64 { return float64(s.deps.QRCache.Stats().Renders) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scangate_qr_cache_bytes", Help: "Bytes of QR images held in memory."},
			func() float64 { return float64(s.deps.QRCache.Stats().Bytes) }),
	)
	return m
}

type float64Snapshot struct {
	recorded, dropped, written, lost, batches, retries, queueLen, spooled, replayed, refused float64
}

func recorderSnapshot(s *Server) float64Snapshot {
	r := s.deps.Recorder.Metrics()
	return float64Snapshot{float64(r.Recorded), float64(r.Dropped), float64(r.Written), float64(r.Lost),
		float64(r.Batches), float64(r.Retries), float64(r.QueueLen), float64(r.Spooled), float64(r.Replayed), float64(r.Refused)}
}

// observe counts a finished request. Each route and status resolves its
// counter once; after that a request costs a map read and two atomics.
func (m *metrics) observe(route string, status int, d time.Duration) {
	k := routeStatus{route, status}
	m.mu.RLock()
	rm, ok := m.routes[k]
	m.mu.RUnlock()
	if !ok {
		rm = routeMetric{m.requests.WithLabelValues(route, strconv.Itoa(status)), m.latency.WithLabelValues(route)}
		m.mu.Lock()
		if len(m.routes) < 1000 { // route patterns, not URLs: a bound that is never reached
			m.routes[k] = rm
		}
		m.mu.Unlock()
	}
	rm.count.Inc()
	rm.latency.Observe(d.Seconds())
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *Server) metricsHandler() echo.HandlerFunc {
	return echo.WrapHandler(s.MetricsHandler())
}

// MetricsHandler serves the metrics with no check, for a listener of
// their own (metrics.listen), which must stay private.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}

// requireMetricsToken guards /metrics on the main handler: not served
// without a configured token (404, as for any unknown path), 401 without
// the right one.
func (s *Server) requireMetricsToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.MetricsToken == "" {
			return echo.ErrNotFound
		}
		scheme, token, _ := strings.Cut(c.Request().Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.MetricsToken)) != 1 {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			return echo.ErrUnauthorized
		}
		return next(c)
	}
}

// CountPlatformCall counts a call to a platform's API for /metrics
// (urllinks.Maker.Called).
func (s *Server) CountPlatformCall(platform, appID, api, outcome string) {
	s.metrics.platformCalls.WithLabelValues(platform, appID, api, outcome).Inc()
}
