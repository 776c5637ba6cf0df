package apps

import (
	"context"
	"errors"
	"sync"
	"time"
)

// OpenTag is what a page needs to show WeChat's open tag
// (wx-open-launch-weapp) for a mini program: the service account whose
// JS-safe domain the page is on, and its JS-SDK ticket to sign the page.
type OpenTag struct {
	ServiceAppID, Domain, Ticket string
}

// OpenTags keeps, in this process, each app's open tag settings and
// ticket for the scan path, which never waits on Redis or WeChat: a
// lookup answers from memory and asks for a fetch in the background when
// it has nothing, or nothing recent. The ticket itself is shared by every
// instance like a token (Tokens, WeChatTicket).
type OpenTags struct {
	store  *Store
	tokens *Tokens
	now    func() time.Time
	want   chan tagKey

	mu sync.RWMutex
	m  map[tagKey]tagEntry
	// forgets counts Forget calls: a fetch that began before one stores
	// nothing, so an app's old tag never comes back after a PUT.
	forgets uint64
}

type tagKey struct{ tenant, appID string }

type tagEntry struct {
	tag    OpenTag
	ok     bool      // tag holds a ticket, good until valid
	valid  time.Time // the ticket has at least until then
	lookAt time.Time // when to look again
}

const (
	// tagTTL: a ticket from the shared store has at least refreshAhead
	// left, so memory may keep it this long; an app without a service
	// account is looked at again within it.
	tagTTL = refreshAhead
	// tagRetry: how soon a lookup that found nothing may ask again.
	tagRetry = 10 * time.Second
	// tagMargin: a ticket is not used in its last minute.
	tagMargin = time.Minute
	// maxTags bounds the entries (one per tenant and app id scanned).
	maxTags = 10000
)

// NewOpenTags returns an empty keeper; Run fetches what lookups ask for.
func NewOpenTags(store *Store, tokens *Tokens) *OpenTags {
	return &OpenTags{store: store, tokens: tokens, now: time.Now, want: make(chan tagKey, 256), m: map[tagKey]tagEntry{}}
}

// Lookup returns the open tag of tenant's WeChat app appID if this
// process has a current ticket for it, never waiting.
func (o *OpenTags) Lookup(tenant, appID string) (OpenTag, bool) {
	k, now := tagKey{tenant, appID}, o.now()
	o.mu.RLock()
	e, found := o.m[k]
	o.mu.RUnlock()
	if !found || !now.Before(e.lookAt) {
		o.ask(k, e, now)
	}
	if found && e.ok && now.Before(e.valid) {
		return e.tag, true // still good while a new look is on its way
	}
	return OpenTag{}, false
}

// ask queues a fetch, once per tagRetry.
func (o *OpenTags) ask(k tagKey, e tagEntry, now time.Time) {
	o.mu.Lock()
	if cur, ok := o.m[k]; ok && now.Before(cur.lookAt) {
		o.mu.Unlock()
		return // asked meanwhile
	}
	if len(o.m) >= maxTags {
		clear(o.m)
	}
	e.lookAt = now.Add(tagRetry)
	o.m[k] = e
	o.mu.Unlock()
	select {
	case o.want <- k:
	default:
	}
}

// Forget drops what this process holds for tenant's app (after a PUT or
// DELETE of it); other instances look again within tagTTL.
func (o *OpenTags) Forget(tenant, appID string) {
	o.mu.Lock()
	delete(o.m, tagKey{tenant, appID})
	o.forgets++
	o.mu.Unlock()
}

// Run fetches until ctx is done.
func (o *OpenTags) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case k := <-o.want:
			o.fetch(ctx, k)
		}
	}
}

func (o *OpenTags) fetch(ctx context.Context, k tagKey) {
	o.mu.RLock()
	gen := o.forgets
	o.mu.RUnlock()
	now := o.now()
	// Kept for tagTTL at most, and never past a minute before the ticket
	// expires (a page takes a moment to load and sign its wx.config);
	// looked at again halfway, so a busy page never goes without one.
	e := tagEntry{lookAt: now.Add(tagRetry)}
	app, err := o.store.Get(ctx, k.tenant, WeChat, k.appID)
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && app.ServiceAppID == "":
		// no app, or no service account: nothing to show for a while
		e.lookAt = now.Add(tagTTL)
	case err != nil:
		return // the store is down: asked again after tagRetry
	default:
		ctx, cancel := context.WithTimeout(ctx, o.tokens.wait)
		ticket, expires, err := o.tokens.TokenUntil(ctx, k.tenant, WeChatTicket, k.appID)
		cancel()
		if err != nil {
			if !errors.Is(err, ErrRefused) && !errors.Is(err, ErrNoService) {
				return // asked again after tagRetry
			}
			e.lookAt = now.Add(tagTTL)
			break
		}
		e.valid = now.Add(tagTTL)
		if last := expires.Add(-tagMargin); last.Before(e.valid) {
			e.valid = last
		}
		e.lookAt = now.Add(e.valid.Sub(now) / 2)
		e.tag, e.ok = OpenTag{ServiceAppID: app.ServiceAppID, Domain: app.ServiceDomain, Ticket: ticket}, e.valid.After(now)
	}
	if !e.ok && e.lookAt.Before(now.Add(tagRetry)) {
		e.lookAt = now.Add(tagRetry)
	}
	o.mu.Lock()
	if o.forgets == gen {
		o.m[k] = e
	}
	o.mu.Unlock()
}
