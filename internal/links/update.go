package links

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Change is one write to a link: Edit changes its editable fields, given
// as the link has them now (a copy: Edit may change anything in it but
// the code); Actor says who made the change and why.
type Change struct {
	Edit func(*Input) error
	Actor
	// IfVersion, when set, makes the change only to that version of the
	// link: a newer one is a *StaleError (a form saved from a page opened
	// before someone else's change).
	IfVersion int64
}

// Update makes a change to tenant's link, a new version in its history.
// Concurrent updates of one link are serialised with WATCH; the loser's
// Edit runs again on the new value.
func (s *Store) Update(ctx context.Context, tenant, code string, ch Change) (*Link, error) {
	return s.update(ctx, tenant, code, ch, ActionUpdate)
}

func (s *Store) update(ctx context.Context, tenant, code string, ch Change, action string) (*Link, error) {
	if !ValidCode(code) {
		return nil, ErrNotFound
	}
	next, _, err := s.apply(ctx, Canonical(code), write{action: action, actor: ch.Actor,
		step: func(cur *Link, now time.Time) (*Link, error) {
			if cur.Tenant != tenant || cur.DeletedAt != nil {
				return nil, ErrNotFound
			}
			// A change made for an older version is refused, unless it
			// changes nothing (a form posted twice, or the same edit
			// made meanwhile by someone else).
			var stale error
			if ch.IfVersion != 0 && cur.Version != ch.IfVersion {
				stale = &StaleError{Want: ch.IfVersion, Current: cur.Version}
			}
			orStale := func(err error) error {
				if stale != nil {
					return stale
				}
				return err
			}
			in, err := cur.editable()
			if err != nil {
				return nil, fmt.Errorf("copy link: %w", err)
			}
			if ch.Edit != nil {
				if err := ch.Edit(&in); err != nil {
					return nil, orStale(err)
				}
			}
			if !strings.EqualFold(in.Code, cur.Code) {
				return nil, orStale(invalid("code", "cannot be changed; create a new link instead"))
			}
			in.Code = cur.Code
			keepURLLinksCurrent(cur, &in)
			if err := in.normalize(); err != nil {
				return nil, orStale(err)
			}
			if action == ActionUpdate {
				if before, err := cur.editable(); err == nil {
					a, _ := json.Marshal(before)
					b, _ := json.Marshal(in)
					if bytes.Equal(a, b) {
						return nil, nil // a change that changes nothing writes nothing
					}
				}
			}
			if stale != nil {
				return nil, stale
			}
			next := newLink(tenant, in, cur.CreatedAt)
			next.Code = cur.Code
			next.UpdatedAt = now
			next.Made, next.MadeRev, next.PlatformStatus = cur.Made, cur.MadeRev, cur.PlatformStatus
			next.keepCurrentMade()
			return next, nil
		}})
	return next, err
}

// keepURLLinksCurrent applies keepURLLinkCurrent to the link's WeChat
// target and to those of its rules and variants, matched by name.
func keepURLLinksCurrent(cur *Link, in *Input) {
	keepURLLinkCurrent(cur.Targets.WeChat, in.Targets.WeChat)
	rules := map[string]*WeChatTarget{}
	for _, r := range cur.Rules {
		rules[r.Name] = r.Targets.WeChat
	}
	for i := range in.Rules {
		keepURLLinkCurrent(rules[in.Rules[i].Name], in.Rules[i].Targets.WeChat)
	}
	if cur.Split == nil || in.Split == nil {
		return
	}
	variants := map[string]*WeChatTarget{}
	for _, v := range cur.Split.Variants {
		variants[v.Name] = v.Targets.WeChat
	}
	for i := range in.Split.Variants {
		keepURLLinkCurrent(variants[in.Split.Variants[i].Name], in.Split.Variants[i].Targets.WeChat)
	}
}

// keepURLLinkCurrent drops a WeChat URL Link that the change makes wrong: a
// link opens the page, query and version it was made for, so when any of
// them (or the app) changes and the patch brings no URL Link of its own,
// scans must not go on to the old page. Without one they get the page that
// leads into the mini program (and a gateway with the app registered makes
// a new URL Link).
func keepURLLinkCurrent(before, after *WeChatTarget) {
	if before == nil || after == nil || after.URLLink == "" || after.URLLink != before.URLLink {
		return
	}
	if after.AppID != before.AppID || after.Path != before.Path || after.Query != before.Query ||
		after.EnvVersion != before.EnvVersion {
		after.URLLink, after.URLLinkExpiresAt = "", nil
	}
}
