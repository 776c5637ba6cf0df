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

// maxQuery is the longest launch query the platforms take: 1,024
// characters for WeChat's links and schemes, and for Douyin's.
const maxQuery = 1024

// tenantsEvery: how often the tenants with apps are reloaded, so that a
// scan on this instance asks for launch links soon after an app is
// registered through another.
const tenantsEvery = 30 * time.Second
