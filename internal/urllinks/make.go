package urllinks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
)

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
