package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// readMany reads the links behind members of a list by creation in one
// pipelined round trip (readMembers).
func (s *Store) readMany(ctx context.Context, members []string) ([]*Link, error) {
	return s.readMembers(ctx, members, indexMember)
}

// readMembers reads the links behind index members in one pipelined round
// trip: a member is a canonical code, or an ordering key, ':' and the code.
// A member whose link is gone, or that is not the link's own in that index
// (member gives it: a leftover of an earlier life of the code, or of an
// earlier title or change), yields nil: an index may hold extra entries,
// never missing ones.
func (s *Store) readMembers(ctx context.Context, members []string, member func(*Link) string) ([]*Link, error) {
	keys := make([]string, len(members))
	for i, m := range members {
		keys[i] = m
		if len(m) > 17 && m[16] == ':' {
			keys[i] = m[17:]
		}
	}
	ls, err := s.readKeys(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i, l := range ls {
		if l != nil && member(l) != members[i] {
			ls[i] = nil
		}
	}
	return ls, nil
}

// readKeys reads the links of canonical codes in one pipelined round trip;
// a code with no link yields nil.
func (s *Store) readKeys(ctx context.Context, keys []string) ([]*Link, error) {
	cmds := make([]*redis.StringCmd, len(keys))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, key := range keys {
			cmds[i] = p.Get(ctx, linkKey(key))
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read links: %w: %w", ErrUnavailable, err)
	}
	out := make([]*Link, len(keys))
	for i, c := range cmds {
		data, err := c.Bytes()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read links: %w: %w", ErrUnavailable, err)
		}
		var l Link
		if err := json.Unmarshal(data, &l); err != nil {
			return nil, fmt.Errorf("decode link: %w", err)
		}
		l.compileRules()
		out[i] = &l
	}
	return out, nil
}
