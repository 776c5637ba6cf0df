package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"
)

// observe is the one middleware every request passes: it turns a panic
// into a 500 (logged with its stack), answers an error through handleError,
// counts the request in the metrics and writes the access log. Requests
// that fail are logged (4xx as warnings, 5xx as errors); those that succeed
// only at debug level, so a busy gateway's scans cost no log line and no
// log formatting. It reads the clock twice per request, and allocates
// nothing unless it logs.
//
// It replaces echo's RequestLogger, Recover and a metrics middleware, which
// together cost a scan about a microsecond and several allocations under
// the load script (profiles in the commit that made this).
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := s.recovering(next, c)
		if err != nil {
			c.Error(err) // handleError: answers with the error's status
		}
		d := time.Since(start)
		status := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(route, status, d)

		level := slog.LevelDebug
		switch {
		case status >= 500:
			level = slog.LevelError
		case (status == http.StatusNotFound || status == http.StatusGone) && isScanRoute(route):
			// A printed code that is unknown or ended: people scan old
			// posters, and floods of random codes would fill the log.
			s.missedScans.note(s.log, s.now())
		case status >= 400, err != nil:
			// An error after the response began (an export cut off) keeps
			// the status already sent, but is a failure all the same.
			level = slog.LevelWarn
		}
		r := c.Request()
		if !s.log.Enabled(r.Context(), level) {
			return nil
		}
		var held int
		if level == slog.LevelWarn || status == http.StatusServiceUnavailable {
			// A flood of refused requests (bad keys, rate limits, busy
			// export slots, a store outage) writes a few lines a second per
			// status, each saying how many it stands for. Other 5xx are
			// bugs: every one is logged.
			var ok bool
			if held, ok = s.warnLogs.allow(status, s.now()); !ok {
				return nil
			}
		}
		attrs := []slog.Attr{slog.String("method", r.Method), slog.String("uri", redactURI(r.RequestURI)),
			slog.Int("status", status), slog.Duration("latency", d)}
		if err != nil {
			attrs = append(attrs, slog.String("err", err.Error()))
		}
		if held > 0 {
			attrs = append(attrs, slog.Int("like_it_not_logged", held))
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
		return nil
	}
}

// recovering runs next, turning a panic into an error. net/http's
// ErrAbortHandler, the documented way to cut a response off, goes on.
func (s *Server) recovering(next echo.HandlerFunc, c echo.Context) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r == http.ErrAbortHandler {
			panic(r)
		}
		stack := make([]byte, 8<<10)
		stack = stack[:runtime.Stack(stack, false)]
		// %v, not %w: whatever was thrown, a panic answers 500.
		err = fmt.Errorf("panic: %v", r)
		s.log.Error("handler panicked", "method", c.Request().Method, "path", c.Request().URL.Path,
			"err", err, "stack", string(stack))
	}()
	return next(c)
}
