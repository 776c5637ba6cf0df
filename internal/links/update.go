package links

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

const maxTxRetries = 5

// Change is one write to a link: Edit changes its editable fields, given
// as the link has them now (a copy: Edit may change anything in it but
// the code); Actor says who made the change and why.
type Change struct {
	Edit func(*Input) error
	Actor
}

// Update makes a change to tenant's link, a new version in its history.
// Concurrent updates of one link are serialised with WATCH; the loser's
// Edit runs again on the new value.
func (s *Store) Update(ctx context.Context, tenant, code string, ch Change) (*Link, error) {
	return s.update(ctx, tenant, code, ch, ActionUpdate)
}

func (s *Store) update(ctx context.Context, tenant, code string, ch Change, action string) (*Link, error) {
	if err := ch.check(); err != nil {
		return nil, err
	}
	if !ValidCode(code) {
		return nil, ErrNotFound
	}
	key := Canonical(code)
	var updated, old *Link
	txf := func(tx *redis.Tx) error {
		cur, err := s.readTx(ctx, tx, key)
		if err != nil {
			return err
		}
		if cur.Tenant != tenant || cur.DeletedAt != nil {
			return ErrNotFound
		}
		in, err := cur.editable()
		if err != nil {
			return fmt.Errorf("copy link: %w", err)
		}
		if ch.Edit != nil {
			if err := ch.Edit(&in); err != nil {
				return err
			}
		}
		if !strings.EqualFold(in.Code, cur.Code) {
			return invalid("code", "cannot be changed; create a new link instead")
		}
		in.Code = cur.Code
		keepURLLinksCurrent(cur, &in)
		if err := in.normalize(); err != nil {
			return err
		}
		if action == ActionUpdate {
			if before, err := cur.editable(); err == nil {
				a, _ := json.Marshal(before)
				b, _ := json.Marshal(in)
				if bytes.Equal(a, b) {
					updated = cur // a change that changes nothing writes nothing
					return nil
				}
			}
		}
		next := newLink(tenant, in, cur.CreatedAt)
		next.Code = cur.Code
		next.UpdatedAt = s.now().UTC()
		next.Made, next.MadeRev, next.PlatformStatus = cur.Made, cur.MadeRev, cur.PlatformStatus
		next.keepCurrentMade()
		next.Version = cur.Version + 1
		data, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("encode link: %w", err)
		}
		entry, err := entryOf(next, data, action, ch.Actor, next.UpdatedAt)
		if err != nil {
			return fmt.Errorf("encode version: %w", err)
		}
		// New index entries go in before the record changes and stale ones
		// come out after, so a failure in between leaves extra entries,
		// which List filters out, never missing ones.
		if _, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			addToIndexes(ctx, p, next)
			return nil
		}); err != nil {
			return fmt.Errorf("index link %s: %w: %w", key, ErrUnavailable, err)
		}
		if _, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, linkKey(key), data, 0)
			pushEntry(ctx, p, key, entry)
			return nil
		}); err != nil {
			return err
		}
		updated, old = next, cur
		return nil
	}
	if err := s.watch(ctx, txf, linkKey(key)); err != nil {
		return nil, err
	}
	if old == nil {
		return updated, nil // nothing changed
	}
	s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		removeFromIndexes(ctx, p, old, updated)
		return nil
	})
	// A concurrent update may have just removed an entry this one needs
	// (A moves the link from c1 to c2 while B moves it back): re-assert the
	// stored version's entries, which ZADD makes idempotent.
	if cur, err := s.read(ctx, key); err == nil && cur.DeletedAt == nil {
		s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			addToIndexes(ctx, p, cur)
			return nil
		})
	}
	s.invalidate(ctx, key)
	return updated, nil
}

func (s *Store) watch(ctx context.Context, fn func(*redis.Tx) error, key string) error {
	for i := 0; i < maxTxRetries; i++ {
		err := s.rdb.Watch(ctx, fn, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		return err
	}
	return ErrConflict
}

func (s *Store) readTx(ctx context.Context, tx *redis.Tx, key string) (*Link, error) {
	return decodeLink(key, tx.Get(ctx, linkKey(key)))
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
