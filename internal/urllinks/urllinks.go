// Package urllinks keeps launch links on the links of tenants who have
// registered their WeChat or Douyin app: WeChat URL Links and encrypted
// schemes, Douyin URL Links. A scan in WeChat or Douyin is then a 302
// straight into the mini program, and a phone browser's "Open in WeChat"
// needs no page declared in WeChat's console: no hand work by the
// merchant.
//
// A launch link is made in the background, never on a scan's time: when a
// link is created or changed, when a scan finds none, and ahead of its
// expiry (WeChat's live 30 days at most, Douyin's 180). One is made per
// slot (the link's own target, each rule's, each variant's with its sg_v;
// links.Link.Slots) and kind, and kept only while the slot is what it was
// made for (links.Store.PutMade), so an edit never serves the old target.
// Every gateway instance shares one claim per slot in Redis, so a link
// version gets one launch link of each kind however many instances see
// its scans.
package urllinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
)

// Generator asks one platform for launch links: the WeChat and Douyin
// clients, adapted in cmd/gateway.
type Generator interface {
	// Generate makes a launch link of kind for slot s, valid until expires.
	Generate(ctx context.Context, token, kind string, s links.Slot, expires time.Time) (string, error)
	// Stale reports whether err means the token is no longer good.
	Stale(err error) bool
	// Refused reports whether err is the platform refusing, for a reason
	// the merchant can act on or one of its limits; any other error is
	// passing trouble, tried again a minute later.
	Refused(err error) (Refusal, bool)
}

// Refusal is a platform's refusal of a launch link.
type Refusal struct {
	Code    int
	Message string
	// App: the refusal is about the app (not published, banned, not
	// allowed to make links), so none of its links is tried for a while.
	App bool
	// PerMinute and Daily: a rate limit, or the day's quota, is reached;
	// the app's calls wait a minute, or until the next day (China time).
	PerMinute, Daily bool
}

// Platform is what the maker does on one platform.
type Platform struct {
	Name     string   // links.MadeWeChat or links.MadeDouyin, also the apps platform
	Kinds    []string // links.KindURLLink, links.KindScheme
	Lifetime time.Duration
	Gen      Generator
}

// Lifetimes: WeChat's links and schemes live 30 days at most, Douyin's 180.
const (
	WeChatLifetime = 29 * 24 * time.Hour
	DouyinLifetime = 170 * 24 * time.Hour
)

const (
	// renewBefore: a launch link this close to its expiry is made again.
	renewBefore = 5 * 24 * time.Hour
	// queueSize bounds the links waiting to be looked at; a full queue
	// drops the request (the next scan, edit or sweep asks again).
	queueSize = 4096
	// retryAfter: a slot that could not get a launch link is not tried
	// again sooner, by any instance (a claim in Redis).
	retryAfter = time.Minute
	// lookAgain: a scan asks for a look at a link at most this often;
	// writes ask at once.
	lookAgain = 10 * time.Second
	// throttledFor: an app a platform rate-limits waits this long before
	// its next call from any instance (a daily limit waits for the day).
	throttledFor = time.Minute
	// refusedHold: a way in a platform refused is tried again after this,
	// or at once after an edit (a new fingerprint); an app refused as a
	// whole (unpublished, banned) likewise, or after its next PUT.
	refusedHold = 30 * time.Minute
)

type job struct{ tenant, code string }

// Maker makes launch links with a few workers.
type Maker struct {
	links     *links.Store
	apps      *apps.Store
	tokens    *apps.Tokens
	platforms []Platform
	log       *slog.Logger
	now       func() time.Time
	queue     chan job
	workers   int
	// Called, when set, counts every call to a platform: for /metrics.
	Called func(platform, appID, api, outcome string)

	sweepNow chan struct{}
	// withApps are the tenants with an app registered, reloaded every
	// tenantsEvery; nil until loaded. A scan of another tenant's link asks
	// for nothing.
	withApps atomic.Pointer[map[string]bool]

	mu    sync.Mutex
	asked map[job]time.Time    // when a scan last asked for a link
	tried map[string]time.Time // slot fingerprint → last try here
	// done, when set (tests), is told of every link looked at.
	done func(tenant, code string, err error)
}

// New returns a maker; Run starts its workers.
func New(ls *links.Store, as *apps.Store, tokens *apps.Tokens, platforms []Platform, workers int, log *slog.Logger) *Maker {
	return &Maker{links: ls, apps: as, tokens: tokens, platforms: platforms, log: log, now: time.Now,
		queue: make(chan job, queueSize), workers: max(workers, 1), sweepNow: make(chan struct{}, 1),
		asked: map[job]time.Time{}, tried: map[string]time.Time{}}
}

// Want asks for a look at a link after a write, never waiting. It is
// false when the queue is full.
func (m *Maker) Want(tenant, code string) bool {
	select {
	case m.queue <- job{tenant, code}:
		return true
	default:
		return false
	}
}

// WantFromScan is Want for the scan path: a link is asked for at most
// every lookAgain, so a stream of scans of a link whose app is not
// registered costs nothing.
func (m *Maker) WantFromScan(tenant, code string) {
	if known := m.withApps.Load(); known != nil && !(*known)[tenant] {
		return
	}
	j, now := job{tenant, code}, m.now()
	m.mu.Lock()
	if last, ok := m.asked[j]; ok && now.Sub(last) < lookAgain {
		m.mu.Unlock()
		return
	}
	if len(m.asked) >= 4*queueSize {
		clear(m.asked) // a bound: forgetting costs one look each
	}
	m.asked[j] = now
	m.mu.Unlock()
	m.Want(tenant, code)
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
						m.log.Warn("launch link not made", "code", j.code, "err", err)
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

// needed reports whether a slot needs a launch link of kind made: it has
// none made for it as it is now, or one close to its expiry. A URL Link
// the merchant pasted on the slot's own target is theirs to manage.
func needed(l *links.Link, s links.Slot, kind string, now time.Time) bool {
	if kind == links.KindURLLink && s.Pasted != nil &&
		(s.Pasted.URLLinkExpiresAt == nil || s.Pasted.URLLinkExpiresAt.Sub(now) > renewBefore) {
		return false
	}
	made, current := l.FindMade(s, kind)
	return !current || made.ExpiresAt.Sub(now) <= renewBefore
}

// ensure gives each slot of a link whose app is registered and working
// the launch links it needs.
func (m *Maker) ensure(ctx context.Context, j job) error {
	l, err := m.links.Get(ctx, j.tenant, j.code)
	if errors.Is(err, links.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range m.platforms {
		if err := m.ensureOn(ctx, l, p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ensureOn does ensure's work on one platform and records the outcome on
// the link (platform_status): an error when the platform refused a launch
// link now (or the app's credentials), ok when every slot of a registered
// app has its launch links; nothing when a slot was left for later (tried
// a moment ago, or by another instance), so an error stays shown.
func (m *Maker) ensureOn(ctx context.Context, l *links.Link, p Platform) error {
	now := m.now()
	registered := map[string]*apps.App{} // app id → the app, nil: not registered
	var failed *links.PlatformStatus
	pending, any := false, false
	for _, s := range l.Slots(p.Name) {
		app, ok := registered[s.AppID]
		if !ok {
			a, err := m.apps.Get(ctx, l.Tenant, p.Name, s.AppID)
			switch {
			case errors.Is(err, apps.ErrNotFound):
			case err != nil:
				return err
			default:
				app = &a
			}
			registered[s.AppID] = app
		}
		if app == nil {
			continue // not registered: a pasted url_link, or the page
		}
		any = true
		for _, kind := range p.Kinds {
			if !needed(l, s, kind, now) {
				continue // what is made serves: no call, nothing to report
			}
			var st *links.PlatformStatus
			switch {
			case app.State == apps.StateError:
				// The app's credentials were refused: the link says so.
				st = &links.PlatformStatus{State: "error", Code: app.ErrorCode, Message: app.ErrorMessage, At: now}
			case now.Before(app.Hold.Until):
				// The platform refused the app's links as a whole, or
				// limits its calls: nothing is asked meanwhile.
				if app.Hold.Refused {
					st = &links.PlatformStatus{State: "error", Code: app.Hold.Code, Message: app.Hold.Message, At: now}
				}
			default:
				var err error
				if st, err = m.make(ctx, l, p, s, kind, app.UpdatedAt, now); err != nil {
					return err
				}
			}
			switch {
			case st == nil:
				pending = true
			case st.State != "ok" && failed == nil:
				failed = st
			}
		}
	}
	var status links.PlatformStatus
	switch {
	case failed != nil:
		status = *failed
	case any && !pending:
		status = links.PlatformStatus{State: "ok", At: now}
	default:
		return nil
	}
	return m.links.SetPlatformStatus(ctx, l.Tenant, l.Code, p.Name, status)
}

// make makes one launch link, unless this or another instance tried the
// slot a moment ago (or the platform refused it within refusedHold). It
// returns the outcome to show on the link, nil when nothing was tried.
func (m *Maker) make(ctx context.Context, l *links.Link, p Platform, s links.Slot, kind string, appVersion, now time.Time) (*links.PlatformStatus, error) {
	fp := s.Fingerprint(kind)
	m.mu.Lock()
	if last, ok := m.tried[fp]; ok && now.Sub(last) < retryAfter {
		m.mu.Unlock()
		return nil, nil
	}
	if len(m.tried) >= 4*queueSize {
		clear(m.tried) // a bound: the claim in Redis still holds
	}
	m.tried[fp] = now
	m.mu.Unlock()
	if ok, err := m.links.TryMake(ctx, l.Code, fp, now, retryAfter); err != nil || !ok {
		return nil, err // another instance is making it, or tried it a moment ago
	}
	if len(s.Query) > maxQuery {
		return &links.PlatformStatus{State: "error", Message: fmt.Sprintf(
			"the launch query with scene=%s is %d characters; %s allows %d", l.Code, len(s.Query), p.Name, maxQuery), At: now}, nil
	}
	expires := now.Add(p.Lifetime)
	token, err := m.tokens.Token(ctx, l.Tenant, p.Name, s.AppID)
	if errors.Is(err, apps.ErrRefused) {
		return nil, nil // the app's state says why; the link shows it next time
	}
	if err != nil {
		return nil, err
	}
	url, err := p.Gen.Generate(ctx, token, kind, s, expires)
	if p.Gen.Stale(err) {
		m.count(p.Name, s.AppID, kind, "stale_token")
		if token, err = m.tokens.Refresh(ctx, l.Tenant, p.Name, s.AppID, token); err != nil {
			return nil, err
		}
		url, err = p.Gen.Generate(ctx, token, kind, s, expires)
	}
	if r, ok := p.Gen.Refused(err); ok {
		return m.refused(ctx, l, p, s, kind, fp, r, appVersion, now)
	}
	if err != nil {
		m.count(p.Name, s.AppID, kind, "failed")
		return nil, err
	}
	m.count(p.Name, s.AppID, kind, "ok")
	if err := m.apps.CountMade(ctx, p.Name, s.AppID, now); err != nil {
		m.log.Warn("launch links: quota use not counted", "err", err)
	}
	err = m.links.PutMade(ctx, l.Tenant, l.Code, s, links.Made{Kind: kind, URL: url, ExpiresAt: expires, MadeAt: now.UTC()})
	if errors.Is(err, links.ErrSlotChanged) || errors.Is(err, links.ErrNotFound) {
		return nil, nil // edited or deleted meanwhile: the change asks again
	}
	if err != nil {
		return nil, err
	}
	return &links.PlatformStatus{State: "ok", At: now}, nil
}

// refused acts on a platform's refusal: a limit holds the app's calls (on
// every instance) for a minute or the day; a refusal of the app holds all
// its links, shown on the app and the link; a refusal of this way in
// holds it. Each is tried again after its hold, not in a loop.
func (m *Maker) refused(ctx context.Context, l *links.Link, p Platform, s links.Slot, kind, fp string, r Refusal, appVersion, now time.Time) (*links.PlatformStatus, error) {
	if r.PerMinute || r.Daily {
		m.count(p.Name, s.AppID, kind, "throttled")
		until := now.Add(throttledFor)
		if r.Daily {
			until = apps.NextChinaDay(now)
		}
		if err := m.apps.Hold(ctx, l.Tenant, p.Name, s.AppID, appVersion, apps.Hold{Until: until, Code: r.Code, Message: r.Message}); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%s limits %s (%d %s): no calls until %s", p.Name, s.AppID, r.Code, r.Message, until.Format(time.RFC3339))
	}
	m.count(p.Name, s.AppID, kind, "refused")
	if r.App {
		if err := m.apps.Hold(ctx, l.Tenant, p.Name, s.AppID, appVersion, apps.Hold{Until: now.Add(refusedHold), Code: r.Code,
			Message: r.Message, Refused: true}); err != nil {
			return nil, err
		}
	} else if err := m.links.HoldMake(ctx, l.Code, fp, now, now.Add(refusedHold)); err != nil {
		return nil, err
	}
	return &links.PlatformStatus{State: "error", Code: r.Code, Message: r.Message, At: now}, nil
}

func (m *Maker) count(platform, appID, api, outcome string) {
	if m.Called != nil {
		m.Called(platform, appID, api, outcome)
	}
}

// maxQuery is the longest launch query the platforms take: 1,024
// characters for WeChat's links and schemes, and for Douyin's.
const maxQuery = 1024

// SweepSoon asks the sweeping loop for a sweep now (after an app is
// registered: its tenant's links need launch links), never waiting.
func (m *Maker) SweepSoon() {
	select {
	case m.sweepNow <- struct{}{}:
	default:
	}
}

// tenantsEvery: how often the tenants with apps are reloaded, so that a
// scan on this instance asks for launch links soon after an app is
// registered through another.
const tenantsEvery = 30 * time.Second

// RunSweeps sweeps every interval, and when asked, until ctx is done.
func (m *Maker) RunSweeps(ctx context.Context, every time.Duration) {
	t := time.NewTicker(tenantsEvery)
	defer t.Stop()
	m.loadTenants(ctx)
	last := m.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.loadTenants(ctx)
			if m.now().Sub(last) < every {
				continue
			}
		case <-m.sweepNow:
			m.loadTenants(ctx)
		}
		last = m.now()
		if err := m.Sweep(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("launch links: sweep failed; the next one goes on", "err", err)
		}
	}
}

// loadTenants reloads the tenants with apps; on failure the last list
// stays (or none, so that every scan may ask).
func (m *Maker) loadTenants(ctx context.Context) {
	list, err := m.apps.Tenants(ctx)
	if err != nil {
		return
	}
	set := make(map[string]bool, len(list))
	for _, t := range list {
		set[t] = true
	}
	m.withApps.Store(&set)
}

// Sweep asks for a look at every link of the tenants that have an app
// registered whose slots need a launch link, so that links are renewed
// ahead of their expiry and made for links created before the app was
// registered.
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
			if a.State != apps.StateError {
				ok[a.Platform+":"+a.AppID] = true
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
				if m.wants(l, ok) && !m.Want(tenant, l.Code) {
					return nil // full: the next sweep goes on
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

// wants reports whether a link has a slot of a registered app that needs
// a launch link.
func (m *Maker) wants(l *links.Link, registered map[string]bool) bool {
	now := m.now()
	for _, p := range m.platforms {
		for _, s := range l.Slots(p.Name) {
			if !registered[p.Name+":"+s.AppID] {
				continue
			}
			for _, kind := range p.Kinds {
				if needed(l, s, kind, now) {
					return true
				}
			}
		}
	}
	return false
}
