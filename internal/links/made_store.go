package links

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrSlotChanged: the slot a launch link was made for changed meanwhile
// (the link was edited); the edit asks for a new one.
var ErrSlotChanged = errors.New("links: the target changed while its launch link was made")

// PutMade stores a launch link made for slot s of tenant's link, replacing
// the slot's earlier one, if the slot is still what it was made for.
// Launch links of slots that changed meanwhile are dropped. It is a new
// Version of the link; UpdatedAt (the merchant's last edit) stays.
func (s *Store) PutMade(ctx context.Context, tenant, code string, slot Slot, m Made) error {
	m.Platform, m.Rule, m.Variant, m.For = slot.Platform, slot.Rule, slot.Variant, slot.Fingerprint(m.Kind)
	if !validMade(m.Platform, m.Kind, m.URL) {
		// The scan path redirects to it: only the platform's own forms.
		return fmt.Errorf("links: the %s %s made for %s is not one of its forms", m.Platform, m.Kind, code)
	}
	return s.amend(ctx, tenant, code, func(l *Link) (bool, error) {
		current := false
		for _, cur := range l.Slots(slot.Platform) {
			if cur.Fingerprint(m.Kind) == m.For {
				current = true
			}
		}
		if !current {
			return false, ErrSlotChanged
		}
		made := make([]Made, 0, len(l.Made)+1)
		for _, old := range l.Made {
			if old.Platform != m.Platform || old.Kind != m.Kind || old.Rule != m.Rule || old.Variant != m.Variant {
				made = append(made, old)
			}
		}
		l.Made = append(made, m)
		l.keepCurrentMade()
		l.MadeRev++
		return true, nil
	})
}

// SetPlatformStatus records how the last try to make tenant's link's
// launch links on platform p went. An unchanged status writes nothing.
func (s *Store) SetPlatformStatus(ctx context.Context, tenant, code, p string, st PlatformStatus) error {
	return s.amend(ctx, tenant, code, func(l *Link) (bool, error) {
		if old, ok := l.PlatformStatus[p]; ok && old.State == st.State && old.Code == st.Code && old.Message == st.Message {
			return false, nil
		}
		statuses := make(map[string]PlatformStatus, len(l.PlatformStatus)+1)
		maps.Copy(statuses, l.PlatformStatus)
		statuses[p] = st
		l.PlatformStatus = statuses
		return true, nil
	})
}

// amend changes what the gateway keeps on tenant's link besides the
// merchant's fields (launch links, statuses), with fn on a copy, in a
// transaction; fn reports whether it changed anything.
func (s *Store) amend(ctx context.Context, tenant, code string, fn func(*Link) (bool, error)) error {
	if !ValidCode(code) {
		return ErrNotFound
	}
	_, _, err := s.apply(ctx, Canonical(code), write{step: func(cur *Link, _ time.Time) (*Link, error) {
		if cur.Tenant != tenant || cur.DeletedAt != nil {
			return nil, ErrNotFound
		}
		next := *cur
		if changed, err := fn(&next); err != nil || !changed {
			return nil, err
		}
		return &next, nil
	}})
	return err
}

// TryMake claims the right to make a launch link (fingerprint fp) of a
// link until now+ttl, across every gateway instance: false when another
// instance holds it, or one tried it within ttl. The claim's time is the
// caller's clock; Redis's expiry only cleans up.
func (s *Store) TryMake(ctx context.Context, code, fp string, now time.Time, ttl time.Duration) (bool, error) {
	ok, err := tryMakeLua.Run(ctx, s.rdb, []string{makeTryKey(Canonical(code), fp)},
		now.UnixMilli(), now.Add(ttl).UnixMilli(), ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ok == 1, nil
}

// HoldMake keeps a way in (fingerprint fp) of a link from being tried by
// any instance before until: the platform refused it.
func (s *Store) HoldMake(ctx context.Context, code, fp string, now, until time.Time) error {
	err := s.rdb.Set(ctx, makeTryKey(Canonical(code), fp), until.UnixMilli(), max(until.Sub(now), time.Millisecond)).Err()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// tryMakeLua: KEYS[1] the claim; ARGV now, the claim's end (Unix ms), its
// lifetime in Redis (ms). 1: claimed.
var tryMakeLua = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v and tonumber(v) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)
