package links

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Options tunes a Store. Zero values take the defaults of DefaultOptions.
type Options struct {
	// CacheTTL bounds how long a cached link may outlive a lost
	// invalidation message.
	CacheTTL time.Duration
	// NegativeTTL is how long an unknown code is remembered as unknown.
	NegativeTTL time.Duration
	// CacheSize is the most links held in memory.
	CacheSize int
	// TrashFor is how long a deleted link stays in the trash, restorable,
	// before it is purged. A purged code is never given to another tenant:
	// its stats keys outlive the link.
	TrashFor time.Duration
	// OnInvalidate, when set, is called after the change feed drops a code
	// from the cache, and with "" after it caught up following a reconnect.
	OnInvalidate func(code string)
	// Logger receives the change feed's state changes; nil logs nothing.
	Logger *slog.Logger
}

// DefaultOptions are the values used for zero fields of Options.
func DefaultOptions() Options {
	return Options{
		CacheTTL:    10 * time.Second,
		NegativeTTL: 2 * time.Second,
		CacheSize:   100_000,
		TrashFor:    30 * 24 * time.Hour,
	}
}

// Store keeps links in Redis and serves the scan path from memory.
type Store struct {
	rdb   redis.UniversalClient
	opts  Options
	cache *cache
	group singleflight.Group
	now   func() time.Time
	log   *slog.Logger
	feed  *feed
	// ranker orders links by scans (SetRanker); search the tenants whose
	// older links are known to be in the search indexes (backfill.go).
	ranker Ranker
	search searchReady
	limits func(tenant string) Limits
	// backfillRead, when set (tests), runs after each batch the backfill
	// reads and before it writes the batch's entries.
	backfillRead func()
	// admitOpenUntil (Unix nanoseconds): until then Admit does not try
	// Redis, after a count failed.
	admitOpenUntil atomic.Int64
}

// lookupTimeout bounds a read of one link for the scan path: a scan of an
// uncached code during an outage gets its 503 quickly.
const lookupTimeout = 2 * time.Second

// revalidateBackoff is the least time between two background revalidations
// of one stale entry.
const revalidateBackoff = time.Second

// NewStore returns a Store on rdb. Call Listen so that changes made by other
// gateway instances reach this one's cache.
func NewStore(rdb redis.UniversalClient, opts Options) *Store {
	def := DefaultOptions()
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = def.CacheTTL
	}
	if opts.NegativeTTL <= 0 {
		opts.NegativeTTL = def.NegativeTTL
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = def.CacheSize
	}
	if opts.TrashFor <= 0 {
		opts.TrashFor = def.TrashFor
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{
		rdb:   rdb,
		opts:  opts,
		cache: newCache(opts.CacheSize, opts.CacheTTL, opts.NegativeTTL),
		now:   time.Now,
		log:   opts.Logger,
		feed:  newFeed(time.Now()),
	}
}

// Lookup returns the link for a scan: from memory when cached, else from
// Redis once (concurrent misses for one code share one read). A link in
// the trash is returned (its state says so: its scans get the fallback or
// a 410); purged and unknown codes are ErrNotFound; an uncached code while Redis is
// unreachable is ErrUnavailable. A cached link is returned at once even
// past its TTL (its revalidation runs in the background), so a cached code
// never waits for Redis, and keeps answering through an outage.
func (s *Store) Lookup(ctx context.Context, code string) (*Link, error) {
	if len(code) <= maxCodeLen {
		// Fold case on the stack: a cache hit allocates nothing.
		var buf [maxCodeLen]byte
		key := canonicalBytes(buf[:0], code)
		now := s.now()
		switch e, st := s.cache.getBytes(key, now); st {
		case cacheFresh:
			if e.link == nil {
				return nil, ErrNotFound
			}
			return e.link, nil
		case cacheStale:
			if now.UnixNano() >= e.retryAt {
				if k := string(key); s.cache.claimRevalidation(k, now, revalidateBackoff) {
					go s.revalidate(k)
				}
			}
			return e.link, nil
		}
	}
	if !ValidCode(code) {
		return nil, ErrNotFound
	}
	key := Canonical(code)
	v, err, _ := s.group.Do(key, func() (any, error) {
		// The read is shared by every scan waiting on this code, so it must
		// not die with the first one's client.
		return s.load(context.WithoutCancel(ctx), key)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Link), nil
}

// load reads key from Redis and caches what it found: the link, or that
// the code is unknown or deleted (ErrNotFound). An invalidation that lands
// while the read is in flight wins over what it read. A failed read
// (ErrUnavailable) changes nothing in the cache.
func (s *Store) load(ctx context.Context, key string) (*Link, error) {
	gen := s.cache.generation()
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	l, err := s.read(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound), err == nil && l.gone():
		s.cache.putIfCurrent(key, nil, s.now(), gen)
		return nil, ErrNotFound
	case err != nil:
		return nil, err
	}
	s.cache.putIfCurrent(key, l, s.now(), gen)
	return l, nil
}

// Get returns tenant's link by code, read fresh from Redis.
func (s *Store) Get(ctx context.Context, tenant, code string) (*Link, error) {
	if !ValidCode(code) {
		return nil, ErrNotFound
	}
	l, err := s.read(ctx, Canonical(code))
	if err != nil {
		return nil, err
	}
	if l.Tenant != tenant || l.DeletedAt != nil {
		return nil, ErrNotFound
	}
	return l, nil
}

// Owned returns tenant's link by code for reading its stats: live, in the
// trash or purged (its stats go on if its tenant creates it again).
func (s *Store) Owned(ctx context.Context, tenant, code string) (*Link, error) {
	if !ValidCode(code) {
		return nil, ErrNotFound
	}
	l, err := s.read(ctx, Canonical(code))
	if err != nil {
		return nil, err
	}
	if l.Tenant != tenant {
		return nil, ErrNotFound
	}
	return l, nil
}

func (s *Store) read(ctx context.Context, key string) (*Link, error) {
	return decodeLink(key, s.rdb.Get(ctx, linkKey(key)))
}

// decodeLink turns the reply to GET linkKey into a link, redis.Nil into
// ErrNotFound.
func decodeLink(key string, reply *redis.StringCmd) (*Link, error) {
	data, err := reply.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read link %s: %w: %w", key, ErrUnavailable, err)
	}
	var l Link
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("decode link %s: %w", key, err)
	}
	l.compileRules()
	return &l, nil
}

// Create validates in and stores it as a new link of tenant, its version
// 1 in its history.
func (s *Store) Create(ctx context.Context, tenant string, in Input, a Actor) (*Link, error) {
	if err := a.check(); err != nil {
		return nil, err
	}
	l, err := prepare(tenant, in, s.now().UTC())
	if err != nil {
		return nil, err
	}
	if err := s.insertAll(ctx, []*Link{l}, a)[0]; err != nil {
		return nil, err
	}
	return l, nil
}

func newLink(tenant string, in Input, now time.Time) *Link {
	in.StartsAt, in.ExpiresAt = utc(in.StartsAt), utc(in.ExpiresAt)
	return &Link{Tenant: tenant, Input: in, CreatedAt: now, UpdatedAt: now, Version: 1}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CacheLen is how many codes the scan-path cache holds, for metrics.
func (s *Store) CacheLen() int { return s.cache.len() }
