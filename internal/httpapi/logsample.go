package httpapi

import (
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/scangate/internal/ratelog"
)

// secretParams are the query parameters whose values never reach a log:
// an API key pasted into a URL, a platform token, a signature.
var secretParams = map[string]bool{
	"api_key": true, "apikey": true, "key": true, "token": true, "access_token": true,
	"secret": true, "signature": true, "sig": true, "password": true,
}

// redactURI is uri with the values of secretParams replaced.
func redactURI(uri string) string {
	path, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	// Split as a lenient parser might: on ';' too. A name that does not
	// decode could be anything: its value goes too.
	parts := strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' })
	changed := false
	for i, p := range parts {
		raw, _, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(raw)
		if err != nil || secretParams[strings.ToLower(name)] {
			parts[i] = raw + "=REDACTED"
			changed = true
		}
	}
	if !changed {
		return uri
	}
	return path + "?" + strings.Join(parts, "&")
}

// isScanRoute reports whether route is one of the scan paths (/s/, /S/).
func isScanRoute(route string) bool {
	return strings.HasPrefix(route, "/s/") || strings.HasPrefix(route, "/S/")
}

// warnLogs admits the access-log lines of refused requests: per status, at
// most one each warnLogEvery.
type warnLogs struct {
	mu sync.Mutex
	m  map[int]*ratelog.Every
}

const warnLogEvery = 200 * time.Millisecond

func (w *warnLogs) allow(status int, now time.Time) (held int, ok bool) {
	w.mu.Lock()
	e := w.m[status]
	if e == nil {
		if w.m == nil {
			w.m = map[int]*ratelog.Every{}
		}
		e = &ratelog.Every{Interval: warnLogEvery}
		w.m[status] = e // statuses are few: the map stays small
	}
	w.mu.Unlock()
	return e.Allow(now)
}

// missedScans counts scans of unknown or ended codes, logged at debug
// each, and summed up at info at most every missedScansEvery.
type missedScans struct {
	n   atomic.Int64
	log ratelog.Every
}

const missedScansEvery = time.Minute

func (m *missedScans) note(log *slog.Logger, now time.Time) {
	m.n.Add(1)
	if _, ok := m.log.Allow(now); ok {
		log.Info("scans of unknown or ended codes (each is logged at debug level)", "count", m.n.Swap(0))
	}
}
