package urllinks

import (
	"context"
	"time"

	"github.com/scangate/scangate/internal/apps"
	"github.com/scangate/scangate/internal/links"
)

// SweepSoon asks the sweeping loop for a sweep now (after an app is
// registered: its tenant's links need launch links), never waiting.
func (m *Maker) SweepSoon() {
	select {
	case m.sweepNow <- struct{}{}:
	default:
	}
}

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
