package links

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The change feed keeps every instance's cache in step with Redis.
//
// Every write appends the changed code to one capped Redis Stream
// (changesKey); every instance tails it with XREAD BLOCK from the last
// entry it applied, dropping each code it reads from its cache. A blocked
// XREAD returns as soon as an entry is added, so an edit reaches the other
// instances within milliseconds.
//
// Unlike pub/sub, a stream remembers: when the connection breaks (Redis
// restarted, a failover, a network cut), the instance keeps serving what it
// has cached, and once Redis answers again it reads on from its last entry,
// catching up on exactly the changes it missed. Only when that entry is gone
// (trimmed away by MAXLEN, or lost with a Redis that came back without its
// data, or with a promoted replica that never received it) can changes have
// been missed unseen; the instance then revalidates every cached entry
// against Redis in pipelined batches before it calls itself in sync.

// changesMaxLen caps the stream (approximately: trimming is ~). An instance
// disconnected for fewer changes than this catches up entry by entry.
const changesMaxLen = 100_000

// Feed timings: how long one XREAD blocks, and the backoff between attempts
// while Redis fails. A killed Redis fails the blocked read at once (the
// connection resets); a silent network cut is noticed within feedBlock plus
// the client's read timeout.
const (
	feedBlock      = 2 * time.Second
	feedMinBackoff = 50 * time.Millisecond
	feedMaxBackoff = time.Second
	// revalidateBatch is how many cached codes one pipelined read revalidates.
	revalidateBatch = 512
)

// Feed states, as /readyz reports them.
const (
	FeedInSync     = "in_sync"     // following the feed: the cache is current
	FeedCatchingUp = "catching_up" // reconnected; revalidating the cache
	FeedStale      = "stale"       // Redis unreachable: serving cached links as last known
	FeedOff        = "off"         // not started (Listen not called yet)
)

// FeedStatus is the state of an instance's change feed.
type FeedStatus struct {
	State string
	// Since is when the feed entered State.
	Since time.Time
	// LastError is the error that made the feed stale, if it is.
	LastError string
	// Resyncs counts full revalidations of the cache.
	Resyncs int64
}

type feed struct {
	mu      sync.Mutex
	status  FeedStatus
	last    string        // ID of the last entry applied
	advance chan struct{} // closed and replaced whenever last moves
	changed chan struct{} // closed and replaced whenever status.State changes
}

func newFeed(now time.Time) *feed {
	return &feed{status: FeedStatus{State: FeedOff, Since: now},
		advance: make(chan struct{}), changed: make(chan struct{})}
}

func (f *feed) set(state string, err error, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status.State != state {
		// Since is when the feed entered or left in_sync: catching up and
		// falling back to stale while Redis flaps is one outage, not many.
		if state == FeedInSync || f.status.State == FeedInSync || f.status.State == FeedOff {
			f.status.Since = now
		}
		f.status.State = state
		close(f.changed)
		f.changed = make(chan struct{})
	}
	f.status.LastError = ""
	if err != nil {
		f.status.LastError = err.Error()
	}
}

func (f *feed) applied(id string) {
	f.mu.Lock()
	f.last = id
	close(f.advance)
	f.advance = make(chan struct{})
	f.mu.Unlock()
}

// FeedStatus reports the change feed's state.
func (s *Store) FeedStatus() FeedStatus {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	return s.feed.status
}

// Degraded reports whether this instance has lost Redis: its change feed
// cannot read. Callers use it to skip work that would only wait for a
// timeout (the scan-limit check).
func (s *Store) Degraded() bool { return s.FeedStatus().State == FeedStale }

// Listen starts following the change feed until ctx ends. It returns once
// it knows where the feed stands, so that a write made after Listen returns
// is never missed; it fails if Redis cannot tell it.
func (s *Store) Listen(ctx context.Context) error {
	last, err := s.feedTail(ctx)
	if err != nil {
		return fmt.Errorf("read the link change feed: %w", err)
	}
	s.feed.applied(last)
	s.feed.set(FeedInSync, nil, s.now())
	go s.follow(ctx, last)
	return nil
}

// feedTail is the ID of the stream's newest entry, "0-0" when it has none.
func (s *Store) feedTail(ctx context.Context) (string, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, changesKey, "+", "-", 1).Result()
	if err != nil {
		return "", err
	}
	if len(msgs) == 0 {
		return "0-0", nil
	}
	return msgs[0].ID, nil
}

func (s *Store) follow(ctx context.Context, last string) {
	backoff := feedMinBackoff
	reconnected := false
	for ctx.Err() == nil {
		if reconnected {
			next, err := s.catchUp(ctx, last)
			if err != nil {
				s.feedFailed(ctx, err, &backoff)
				continue
			}
			last, reconnected = next, false
			s.feed.set(FeedInSync, nil, s.now())
			s.notify("")
		}
		res, err := s.rdb.XRead(ctx, &redis.XReadArgs{
			Streams: []string{changesKey, last}, Count: 1000, Block: feedBlock,
		}).Result()
		if errors.Is(err, redis.Nil) {
			continue // nothing new within feedBlock
		}
		if err != nil {
			s.feedFailed(ctx, err, &backoff)
			reconnected = true
			continue
		}
		backoff = feedMinBackoff
		for _, st := range res {
			for _, m := range st.Messages {
				if code, ok := m.Values["c"].(string); ok {
					s.cache.drop(code)
					s.notify(code)
				}
				last = m.ID
			}
		}
		s.feed.applied(last)
	}
}

// feedFailed marks the feed stale and waits out the backoff. The cache is
// left as it is: it serves the last known links for as long as Redis is
// unreachable.
func (s *Store) feedFailed(ctx context.Context, err error, backoff *time.Duration) {
	if ctx.Err() != nil {
		return
	}
	st := s.FeedStatus()
	if st.State == FeedInSync {
		s.log.Warn("links: lost Redis; serving cached links as last known until it is back", "err", err)
	}
	s.feed.set(FeedStale, err, s.now())
	select {
	case <-ctx.Done():
	case <-time.After(*backoff):
	}
	*backoff = min(2**backoff, feedMaxBackoff)
}

// catchUp runs after a reconnect. If the last applied entry is still in the
// stream, reading on from it misses nothing. Otherwise changes may have been
// trimmed away or lost with Redis's data: it revalidates every cached entry
// and returns the position to read on from, taken before the revalidation
// so that nothing written meanwhile is skipped.
func (s *Store) catchUp(ctx context.Context, last string) (string, error) {
	tail, err := s.feedTail(ctx)
	if err != nil {
		return "", err
	}
	s.feed.set(FeedCatchingUp, nil, s.now())
	if last != "0-0" {
		msgs, err := s.rdb.XRangeN(ctx, changesKey, last, last, 1).Result()
		if err != nil {
			return "", err
		}
		if len(msgs) == 1 {
			// Apply everything missed up to the tail before calling
			// ourselves in sync.
			for last != tail {
				msgs, err := s.rdb.XRangeN(ctx, changesKey, "("+last, tail, 1000).Result()
				if err != nil {
					return "", err
				}
				if len(msgs) == 0 {
					break
				}
				for _, m := range msgs {
					if code, ok := m.Values["c"].(string); ok {
						s.cache.drop(code)
						s.notify(code)
					}
					last = m.ID
				}
				s.feed.applied(last)
			}
			s.log.Info("links: Redis is back; caught up on the change feed")
			return last, nil
		}
	}
	// Fence off every read already in flight (a revalidation, a miss):
	// what it read may predate changes that this resync cannot see, so it
	// must not be cached after it.
	s.cache.gen.Add(1)
	n, err := s.revalidateAll(ctx)
	if err != nil {
		return "", err
	}
	s.feed.mu.Lock()
	s.feed.status.Resyncs++
	s.feed.mu.Unlock()
	s.log.Info("links: Redis is back and the change feed lost its place; revalidated the cache", "entries", n)
	s.feed.applied(tail)
	return tail, nil
}

// revalidateAll re-reads every cached code from Redis, in pipelined
// batches, and brings the cache in line: changed links replaced, deleted
// ones dropped. It returns how many entries it checked.
func (s *Store) revalidateAll(ctx context.Context) (int, error) {
	snap := s.cache.snapshot()
	keys := make([]string, 0, len(snap))
	for k := range snap {
		keys = append(keys, k)
	}
	for start := 0; start < len(keys); start += revalidateBatch {
		batch := keys[start:min(start+revalidateBatch, len(keys))]
		cmds := make([]*redis.StringCmd, len(batch))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range batch {
				cmds[i] = p.Get(ctx, linkKey(k))
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return 0, err
		}
		seen := make(map[string]*Link, len(batch))
		now := make(map[string]*Link, len(batch))
		for i, k := range batch {
			seen[k] = snap[k]
			l, err := decodeLink(k, cmds[i])
			switch {
			case errors.Is(err, ErrUnavailable):
				return 0, err
			case err == nil && !l.gone():
				now[k] = l
			}
		}
		s.cache.revalidated(seen, now, s.now())
	}
	return len(keys), nil
}

// revalidate re-reads one stale cached link in the background. On failure
// the entry keeps answering as it is; the next try waits for the backoff
// that claimRevalidation set.
func (s *Store) revalidate(key string) {
	s.load(context.Background(), key)
}

// invalidate drops a code from this instance's cache and announces the
// change to the others. The write has already succeeded, so a failed
// announcement does not fail it: the others catch it at their next
// revalidation of the entry (Options.CacheTTL), and the failure is logged.
func (s *Store) invalidate(ctx context.Context, keys ...string) {
	for _, k := range keys {
		s.cache.drop(k)
	}
	ctx = context.WithoutCancel(ctx)
	cmds, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.XAdd(ctx, &redis.XAddArgs{Stream: changesKey, MaxLen: changesMaxLen, Approx: true, Values: []string{"c", k}})
		}
		return nil
	})
	if err != nil {
		s.log.Warn("links: change not announced to other instances; they see it within the cache TTL",
			"codes", len(keys), "failed", countFailed(cmds), "err", err)
	}
}

func countFailed(cmds []redis.Cmder) int {
	n := 0
	for _, c := range cmds {
		if c.Err() != nil {
			n++
		}
	}
	return n
}

func (s *Store) notify(code string) {
	if s.opts.OnInvalidate != nil {
		s.opts.OnInvalidate(code)
	}
}
