// Package httpapi is the gateway's HTTP face: the one list of routes,
// request parsing and limits, authentication, the only mapping from errors
// to statuses, the access log, and the pages. It talks to storage only
// through the domain packages, never to Redis directly.
package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/geo"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/qr"
	"github.com/scangate/scangate/internal/ratelog"
	"github.com/scangate/scangate/internal/stats"
	"github.com/scangate/scangate/internal/urllinks"
	"github.com/scangate/scangate/web"
)

// Config holds the plain values the HTTP layer needs.
type Config struct {
	// PublicBaseURL is the base of every short URL, without a trailing slash.
	PublicBaseURL string
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// VerificationFiles maps a file name (without .txt) to its content.
	VerificationFiles map[string]string
	// ScanRate limits scans per second per client address (0: off).
	ScanRate float64
	// APIRatePerMinute limits the public API per client address (0: off).
	APIRatePerMinute float64
	// EventRatePerCode limits the public opens reported per second for one
	// link (0: off), on each instance.
	EventRatePerCode float64
	// QRUppercase is the default of the QR endpoints' uppercase option.
	QRUppercase bool
	// MaxConcurrentExports bounds the exports (QR batches, links) running
	// at once (at least 1); more are refused with 503.
	MaxConcurrentExports int
	// ExportsPerTenant bounds one tenant's exports running at once (at
	// least 1); more are refused with 429.
	ExportsPerTenant int
	// ExportMinRate (bytes per second) is the slowest average rate a client
	// may take an export at after its first 30 seconds (0: any).
	ExportMinRate int
	// Quotas limit what each tenant spends of the shared admin API, bulk
	// imports and exports (zero: no limits).
	Quotas Quotas
	// MetricsToken, when set, is the bearer token /metrics asks for on the
	// main handler; without it /metrics is not served there (see
	// MetricsHandler).
	MetricsToken string
	// ReadOnly refuses every write (503): the gateway serves links from a
	// backup while the store is gone.
	ReadOnly bool
}

// Deps are the domain services the routes use.
type Deps struct {
	Links  *links.Store
	Keys   *auth.Store
	Logger *slog.Logger
	// QRCache holds rendered QR images, shared by every request.
	QRCache *qr.Cache
	// Renders is the gate QRCache renders through, which exports share.
	Renders *qr.Gate
	// Geo places clients (country, region, city) for rules and stats; nil
	// knows nothing.
	Geo *geo.DB
	// Recorder takes scan and mini program events off the request path.
	Recorder *stats.Recorder
	// Stats answers the stats queries.
	Stats *stats.Querier
	// Ready reports whether the store answers, for /readyz.
	Ready func(context.Context) error
	// Apps and Tokens are the tenants' platform apps and their tokens;
	// nil: the /api/v1/apps routes answer 503.
	Apps     *apps.Store
	Tokens   *apps.Tokens
	SunCodes *apps.SunCodes
	// URLLinks makes WeChat URL Links in the background; nil: none.
	URLLinks *urllinks.Maker
	// OpenTags has the open tag's ticket of apps with a service account
	// at hand for the WeChat page; nil: no open tag.
	OpenTags *apps.OpenTags
}

// Server serves the gateway's routes.
type Server struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	echo  *echo.Echo
	pages *template.Template
	csp   string
	// cspOpenTag is the policy of a WeChat page with the open tag;
	// publicHost the host of PublicBaseURL, which must be the service
	// account's JS-safe domain for it.
	cspOpenTag, publicHost string
	// publicPath is the path of PublicBaseURL ("" at the root).
	publicPath string
	now        func() time.Time
	// exports bounds the exports running, in all and per tenant.
	exports *exportSlots
	// export writes a QR export: qr.Export, or a failing one in tests.
	export func(io.Writer, iter.Seq2[qr.Item, error], qr.Options) error

	addrs               clientAddrs
	scanLimit, apiLimit *addrLimiter
	// eventCodeLimit limits the public opens of one link's code.
	eventCodeLimit *limiter[string]
	// authFailures limits failed authentications per client address.
	authFailures *addrLimiter
	// warnLogs and missedScans bound the access log under floods.
	warnLogs    warnLogs
	missedScans *missedScans
	metrics     *metrics
	uas         *uaCache
	pageCache   *answerCache[[]byte]
	launchCache *answerCache[string]
	draining    atomic.Bool
	console     *consolePages
	live        liveStreams
	admitLog    ratelog.Every // "scan limit not checked", at most once per 10 s
}

// New builds the server and its routes.
func New(cfg Config, deps Deps) (*Server, error) {
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	console, err := parseConsolePages()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, pages: pages, console: console, now: time.Now, admitLog: ratelog.Every{Interval: 10 * time.Second},
		exports: newExportSlots(cfg.MaxConcurrentExports, cfg.ExportsPerTenant)}
	s.export = func(w io.Writer, items iter.Seq2[qr.Item, error], o qr.Options) error {
		return qr.Export(w, items, o, deps.Renders)
	}
	s.csp = contentSecurityPolicy(web.CSS, web.LaunchJS)
	s.cspOpenTag, s.publicHost = openTagCSP(web.CSS, web.LaunchJS), hostOf(cfg.PublicBaseURL)
	if u, err := url.Parse(cfg.PublicBaseURL); err == nil {
		s.publicPath = strings.TrimRight(u.EscapedPath(), "/")
	}
	// Scans get bursts of two seconds' allowance: a table of friends behind
	// one carrier-grade NAT address must never be turned away. The public
	// API may spend a whole minute's allowance at once.
	s.scanLimit = newLimiter(cfg.ScanRate, 2*cfg.ScanRate, shardOf)
	s.apiLimit = newLimiter(cfg.APIRatePerMinute/60, cfg.APIRatePerMinute, shardOf)
	// A code's opens come from many phones at once (a campaign's poster):
	// ten seconds' allowance in a burst.
	s.eventCodeLimit = newLimiter(cfg.EventRatePerCode, 10*cfg.EventRatePerCode, shardOfString)
	// 20 failed authentications in a burst, then one every 6 seconds: a
	// script with a revoked key notices, a guesser gets nowhere.
	s.authFailures = newLimiter(10.0/60, 20, shardOf)
	s.missedScans = &missedScans{log: ratelog.Every{Interval: missedScansEvery}}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	s.addrs = newClientAddrs(cfg.TrustedProxies)
	e.IPExtractor = func(r *http.Request) string {
		if a := s.addrs.client(r); a.IsValid() {
			return a.String()
		}
		return ""
	}
	s.metrics = newMetrics(s)
	s.uas = newUACache()
	s.pageCache = newAnswerCache[[]byte]()
	s.launchCache = newAnswerCache[string]()
	e.Use(s.observe)
	s.echo = e
	s.routes()
	return s, nil
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawPath != "" && !strings.Contains(r.URL.RawPath, "%2F") && !strings.Contains(r.URL.RawPath, "%2f") {
			// Escapes spelled otherwise than Go spells them (lower-case
			// hex, as html/template and many clients write them:
			// /campaigns/%e5%9b%bd%e5%ba%86) set RawPath, and echo routes
			// on RawPath when set and hands its parameters over still
			// escaped. Without an escaped slash, whose escape means
			// something, the path is the same path: route it as one.
			r.URL.RawPath = ""
		}
		s.echo.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows exactly the inline stylesheet and launch
// script (by hash) and images from data: URLs and the gateway itself (the
// WeChat page's sun code); pages load nothing else, and
// no other script can run even if a tenant's text slipped past escaping.
func contentSecurityPolicy(css, js string) string {
	return "default-src 'none'; style-src " + cspHash(css) + "; script-src " + cspHash(js) +
		"; img-src data: 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// handleError answers any error a handler returned: JSON under /api/, a
// page elsewhere.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := classify(err)
	if (errors.Is(err, errRateLimited) || errors.Is(err, errBusy)) && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "1")
	}
	if status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		// The store is unreachable: a customer at a table is told to scan
		// again in a moment (the 503 page), and clients when to retry.
		c.Response().Header().Set("Retry-After", storeRetryAfter)
	}
	if errors.Is(err, errExportBusy) || errors.Is(err, errTenantExportBusy) {
		c.Response().Header().Set("Retry-After", exportRetryAfter)
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		c.JSON(status, apiError{Error: body})
		return
	}
	s.errorPage(c, status, "")
}
