package httpapi

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/scangate/scangate/internal/auth"
	"github.com/scangate/scangate/internal/stats"
)

// The console's live page: the latest scans, then each new one as it
// arrives, as server-sent events. Events come from the tenant's raw event
// stream in Redis, which every instance's stats writer appends to, so a
// page on any instance sees every scan (about a second after it, when the
// writer has flushed). Each stream polls Redis once a second, so they are
// bounded: per tenant and in all.

const (
	liveEvery        = time.Second
	liveHeartbeat    = 15 * time.Second
	liveMaxDuration  = time.Hour // then the browser reconnects
	livePerTenant    = 10
	liveTotal        = 200
	liveRetryMillis  = 3000
	liveInitialCount = 20
	liveRecheck      = 5 // ticks between checks that the session still holds
)

// liveStreams counts the open live streams, by tenant.
type liveStreams struct {
	mu       sync.Mutex
	byTenant map[string]int
	total    int
}

func (l *liveStreams) acquire(tenant string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byTenant == nil {
		l.byTenant = map[string]int{}
	}
	if l.total >= liveTotal || l.byTenant[tenant] >= livePerTenant {
		return false
	}
	l.total++
	l.byTenant[tenant]++
	return true
}

func (l *liveStreams) release(tenant string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byTenant[tenant]--; l.byTenant[tenant] <= 0 {
		delete(l.byTenant, tenant)
	}
}

type liveRow struct {
	At, Code, What string
}

type livePage struct {
	consolePage
	After  string
	Events []liveRow
}

func (p livePage) setPage(cp consolePage) any { p.consolePage = cp; return p }

// describe says what an event is in the page's language: its kind, host
// app, province and city (in Chinese where the console is), variant.
func describe(lang string, e stats.LiveEvent) string {
	t := consoleTexts[lang]
	parts := []string{cmp.Or(t["ev_"+e.Type], e.Type)}
	if l, ok := t["p_"+e.Platform]; ok {
		parts = append(parts, l)
	} else if e.Platform != "" {
		parts = append(parts, e.Platform)
	}
	city := e.City
	if city == e.Region {
		city = "" // a municipality: Shanghai is its own province
	}
	for _, s := range []string{placeName(lang, e.Region), placeName(lang, city), e.Variant} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, " · ")
}

// liveClock is an event's time of day in China.
func liveClock(e stats.LiveEvent) string { return e.Time.In(consoleZone).Format("15:04:05") }

// liveMessage is one event of the live stream: the event's fields, and
// its time and description as the page shows them.
type liveMessage struct {
	stats.LiveEvent
	At   string `json:"at"`
	What string `json:"what"`
}

func (s *Server) consoleLive(c echo.Context) error {
	lang := consoleLang(c.Request())
	t := consoleTexts[lang]
	events, after, err := s.deps.Stats.Live(c.Request().Context(), tenant(c), "", liveInitialCount)
	if err != nil {
		return s.consoleFail(c, err)
	}
	p := livePage{After: after}
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		p.Events = append(p.Events, liveRow{At: liveClock(e), Code: e.Code, What: describe(lang, e)})
	}
	return s.consoleRender(c, http.StatusOK, "live.html", consolePage{Title: t["live_page"], Nav: "live"}, p)
}

// consoleLiveEvents streams the tenant's new events after the stream
// entry named by ?after= or the browser's Last-Event-ID.
func (s *Server) consoleLiveEvents(c echo.Context) error {
	after := c.Request().Header.Get("Last-Event-ID")
	if after == "" {
		after = c.QueryParam("after")
	}
	if after == "" || len(after) > 40 || strings.Trim(after, "0123456789-") != "" {
		after = "0-0"
	}
	tn := tenant(c)
	lang := consoleLang(c.Request())
	if !s.live.acquire(tn) {
		c.Response().Header().Set("Retry-After", "30")
		return c.String(http.StatusTooManyRequests, "too many live pages open\n")
	}
	defer s.live.release(tn)
	ctx := c.Request().Context()
	w := c.Response()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(s string) error {
		rc.SetWriteDeadline(time.Now().Add(2 * liveHeartbeat))
		if _, err := fmt.Fprint(w, s); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := write(fmt.Sprintf("retry: %d\n\n", liveRetryMillis)); err != nil {
		return nil
	}
	tick := time.NewTicker(liveEvery)
	defer tick.Stop()
	end := time.After(liveMaxDuration)
	lastWrite := time.Now()
	ck, _ := s.cookie(c, sessionCookie)
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-end:
			return nil
		case <-tick.C:
		}
		// A session signed out (or its user disabled) stops the stream
		// within liveRecheck ticks.
		if n%liveRecheck == 0 {
			if ck == nil {
				return nil
			}
			if _, err := s.deps.Keys.Session(ctx, ck.Value); errors.Is(err, auth.ErrNoSession) {
				return nil
			}
		}
		events, next, err := s.deps.Stats.Live(ctx, tn, after, 200)
		if err != nil {
			continue // Redis away: try again next tick
		}
		var b strings.Builder
		for _, e := range events {
			data, _ := json.Marshal(liveMessage{e, liveClock(e), describe(lang, e)})
			fmt.Fprintf(&b, "data: %s\n\n", data)
		}
		if next != after {
			fmt.Fprintf(&b, "id: %s\n\n", next)
			after = next
		}
		if b.Len() == 0 && time.Since(lastWrite) >= liveHeartbeat {
			b.WriteString(": heartbeat\n\n")
		}
		if b.Len() > 0 {
			if err := write(b.String()); err != nil {
				return nil
			}
			lastWrite = time.Now()
		}
	}
}
