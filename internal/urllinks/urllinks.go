// Package urllinks keeps WeChat URL Links on the links of tenants who have
// registered their WeChat app: a WeChat scan of such a link is then a 302
// straight into the mini program, with no hand work by the merchant.
//
// A URL Link is made in the background, never on a scan's time: when a
// link is created or changed, when a WeChat scan finds none, and ahead of
// its expiry (WeChat's links live 30 days at most). It is written into the
// link's WeChat target only if that target is still what it was made for,
// and a change of the target drops it (links.Store.Update), so an edit
// never serves the old page.
package urllinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
	"github.com/scangate/scangate/internal/platform"
)

// Generator asks WeChat for a URL Link: the WeChat client, adapted in
// cmd/gateway.
type Generator interface {
	Generate(ctx context.Context, token string, path, query, envVersion string, expires time.Time) (string, error)
	// Stale reports whether err means the token is no longer good.
	Stale(err error) bool
}

const (
	// lifetime is how long a made URL Link lives: WeChat allows 30 days.
	lifetime = 29 * 24 * time.Hour
	// renewBefore: a URL Link this close to its expiry is made again.
	renewBefore = 5 * 24 * time.Hour
	// queueSize bounds the links waiting to be looked at; a full queue
	// drops the request (the next scan, edit or sweep asks again).
	queueSize = 4096
	// retryAfter: a link that could not get a URL Link is not tried again
	// sooner by this instance.
	retryAfter = time.Minute
)

type job struct{ tenant, code string }

// attempt is a link's WeChat target as it was tried.
type attempt struct {
	job
	target string
}

// Maker makes URL Links with a few workers.
type Maker struct {
	links   *links.Store
	apps    *apps.Store
	tokens  *apps.Tokens
	gen     Generator
	log     *slog.Logger
	now     func() time.Time
	queue   chan job
	workers int

	sweepNow chan struct{}

	mu     sync.Mutex
	recent map[attempt]time.Time // when a link's target was last tried, for retryAfter
	// done, when set (tests), is told of every link looked at.
	done func(tenant, code string, err error)
}

// New returns a maker; Run starts its workers.
func New(ls *links.Store, as *apps.Store, tokens *apps.Tokens, gen Generator, workers int, log *slog.Logger) *Maker {
	return &Maker{links: ls, apps: as, tokens: tokens, gen: gen, log: log, now: time.Now,
		queue: make(chan job, queueSize), workers: max(workers, 1), recent: map[attempt]time.Time{},
		sweepNow: make(chan struct{}, 1)}
}

// Want asks for a look at a link, never waiting: for the scan path and the
// API's writes. It is false when the queue is full.
func (m *Maker) Want(tenant, code string) bool {
	select {
	case m.queue <- job{tenant, code}:
		return true
	default:
		return false
	}
}

// Run works until ctx is done.
func (m *Maker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range m.workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-m.queue:
					err := m.ensure(ctx, j)
					if err != nil && ctx.Err() == nil {
						m.log.Warn("wechat URL Link not made", "code", j.code, "err", err)
					}
					if m.done != nil {
						m.done(j.tenant, j.code, err)
					}
				}
			}
		})
	}
	wg.Wait()
}

// current reports whether a target's URL Link needs nothing done: one
// pasted by hand without an expiry is the merchant's to manage, one that
// lives beyond renewBefore is fine.
func current(t *links.WeChatTarget, now time.Time) bool {
	if t.URLLink == "" {
		return false
	}
	if t.URLLinkExpiresAt == nil {
		return true
	}
	return t.URLLinkExpiresAt.Sub(now) > renewBefore
}

// errChanged: the link changed while its URL Link was made.
var errChanged = errors.New("urllinks: the WeChat target changed meanwhile")

// ensure gives a link a current URL Link if its tenant has its WeChat app
// registered and working.
func (m *Maker) ensure(ctx context.Context, j job) error {
	now := m.now()
	l, err := m.links.Get(ctx, j.tenant, j.code)
	if errors.Is(err, links.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	t := l.Targets.WeChat
	if t == nil || current(t, now) || l.Split != nil {
		// A split link's URL Link would carry no variant (sg_v): until one
		// is made per variant, its WeChat scans keep the page.
		return nil
	}
	app, err := m.apps.Get(ctx, j.tenant, apps.WeChat, t.AppID)
	if errors.Is(err, apps.ErrNotFound) {
		return nil // not registered: a pasted url_link, or the page
	}
	if err != nil {
		return err
	}
	if app.State == apps.StateError {
		return nil // the app's state says why
	}
	// A target tried a moment ago (a scan a second while WeChat refuses
	// the page) is not tried again so soon; a changed target is another.
	seen := attempt{j, t.AppID + "\x00" + t.Path + "\x00" + t.Query + "\x00" + t.EnvVersion}
	m.mu.Lock()
	if last, ok := m.recent[seen]; ok && now.Sub(last) < retryAfter {
		m.mu.Unlock()
		return nil
	}
	if len(m.recent) >= 4*queueSize {
		clear(m.recent) // a bound, not a schedule: forgetting costs at most one call each
	}
	m.recent[seen] = now
	m.mu.Unlock()
	query := Query(t.Query, l.Code)
	if len(query) > maxQuery {
		return fmt.Errorf("urllinks: %s: the query with scene=%s is %d characters; WeChat allows %d", j.code, l.Code, len(query), maxQuery)
	}
	expires := now.Add(lifetime)
	token, err := m.tokens.Token(ctx, j.tenant, apps.WeChat, t.AppID)
	if err != nil {
		return err
	}
	link, err := m.gen.Generate(ctx, token, t.Path, query, t.EnvVersion, expires)
	if m.gen.Stale(err) {
		if token, err = m.tokens.Refresh(ctx, j.tenant, apps.WeChat, t.AppID, token); err != nil {
			return err
		}
		link, err = m.gen.Generate(ctx, token, t.Path, query, t.EnvVersion, expires)
	}
	if err != nil {
		return err
	}
	patch := fmt.Appendf(nil, `{"targets":{"wechat":{"url_link":%q,"url_link_expires_at":%q}}}`,
		link, expires.UTC().Format(time.RFC3339))
	want := *t
	_, err = m.links.UpdateIf(ctx, j.tenant, j.code, patch, func(cur *links.Link) error {
		c := cur.Targets.WeChat
		if c == nil || c.AppID != want.AppID || c.Path != want.Path || c.Query != want.Query ||
			c.EnvVersion != want.EnvVersion || c.URLLink != want.URLLink {
			return errChanged // edited meanwhile, or given a URL Link by hand
		}
		return nil
	})
	if errors.Is(err, errChanged) {
		return nil // the change asks again
	}
	return err
}

// maxQuery is the longest query WeChat takes for a URL Link.
const maxQuery = 1024

// Query is what a URL Link passes the mini program: the target's query as
// written (in WeChat's character set, checked when the link was saved)
// with scene=<code>, as every other way into the mini program passes it
// (platform.WithScene).
func Query(targetQuery, code string) string { return platform.WithScene(targetQuery, code) }

// SweepSoon asks the sweeping loop for a sweep now (after an app is
// registered: its tenant's links need URL Links), never waiting.
func (m *Maker) SweepSoon() {
	select {
	case m.sweepNow <- struct{}{}:
	default:
	}
}

// RunSweeps sweeps every interval, and when asked, until ctx is done.
func (m *Maker) RunSweeps(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.sweepNow:
		}
		if err := m.Sweep(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("wechat URL Links: sweep failed; the next one goes on", "err", err)
		}
	}
}

// Sweep asks for a look at every link of the tenants that have a WeChat
// app registered, so that URL Links are renewed ahead of their expiry
// and made for links created before the app was registered.
func (m *Maker) Sweep(ctx context.Context) error {
	tenants, err := m.apps.Tenants(ctx)
	if err != nil {
		return err
	}
	for _, tenant := range tenants {
		registered, err := m.apps.List(ctx, tenant)
		if err != nil {
			return err
		}
		ok := map[string]bool{}
		for _, a := range registered {
			if a.Platform == apps.WeChat && a.State != apps.StateError {
				ok[a.AppID] = true
			}
		}
		if len(ok) == 0 {
			continue
		}
		q := links.ListQuery{Limit: 500}
		for {
			page, err := m.links.List(ctx, tenant, q)
			if err != nil {
				return err
			}
			for _, l := range page.Items {
				if t := l.Targets.WeChat; t != nil && ok[t.AppID] && !current(t, m.now()) && l.Split == nil {
					if !m.Want(tenant, l.Code) {
						return nil // full: the next sweep goes on
					}
				}
			}
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
	}
	return nil
}
