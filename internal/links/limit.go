package links

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Admit counts one scan against the link's max_scans and reports whether the
// scan is within the limit. Links without a limit cost nothing; limited
// links cost one INCR, the only Redis round trip a cached scan can make,
// because an exact limit across gateway instances needs one shared counter.
func (s *Store) Admit(ctx context.Context, l *Link) (bool, error) {
	if l.MaxScans <= 0 {
		return true, nil
	}
	n, err := s.rdb.Incr(ctx, scanCountKey(Canonical(l.Code))).Result()
	if err != nil {
		return false, fmt.Errorf("count scan of %s: %w", l.Code, err)
	}
	return n <= l.MaxScans, nil
}

// UsedScans is how many scans Admit has counted for a limited link.
func (s *Store) UsedScans(ctx context.Context, l *Link) (int64, error) {
	if l.MaxScans <= 0 {
		return 0, nil
	}
	n, err := s.rdb.Get(ctx, scanCountKey(Canonical(l.Code))).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read scan count of %s: %w", l.Code, err)
	}
	return n, nil
}
