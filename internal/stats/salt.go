package stats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// saltLife is how long a day's visitor salt outlives the day: long enough
// for events of that day still in the queue, short enough that the day's
// visitor ids become irreversible soon after.
const saltLife = 24 * time.Hour

// salt is the visitor hasher's source of salts: the writer waits for one
// (daySalt); the request path takes only what is in memory.
func (r *Recorder) salt(day Date, wait bool) ([]byte, bool) {
	if wait {
		return r.daySalt(day), true
	}
	return r.salts.get(day)
}

// daySalt returns the day's random visitor salt, shared by every instance
// through Redis: the first to ask creates it (SET NX) to expire a day after
// the day ends. While Redis is down it retries; the queue absorbs the wait
// as it does for batches. If the recorder is giving up, the events are
// lost anyway and a throwaway salt does.
func (r *Recorder) daySalt(day Date) []byte {
	if salt, ok := r.salts.get(day); ok {
		return salt
	}
	backoff := 50 * time.Millisecond
	for {
		salt, err := r.fetchSalt(r.ctx, saltKey(day), r.saltExpiry(day))
		if err == nil {
			r.salts.put(day, salt)
			return salt
		}
		// From outside this is a failed attempt like a failed write: the
		// writer cannot go on while Redis is down.
		r.retries.Add(1)
		r.saltErrors++
		if n, ok := r.saltLog.due(time.Now(), r.saltErrors, false); ok {
			r.log.Warn("stats: cannot read the visitor salt; retrying", "err", err, "failures", n)
		}
		// Report, then signal, as applyLoop does: the drops counted so far
		// belong to this attempt.
		r.reportDrops(false)
		if r.testHook != nil {
			r.testHook(err)
		}
		select {
		case <-r.ctx.Done():
			var b [16]byte
			rand.Read(b[:])
			return b[:]
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, r.cfg.MaxBackoff)
	}
}

// saltCache keeps the salts this process has read, so that the writer does
// not need Redis to hash the visitors of a day it has seen (or prefetched).
type saltCache struct {
	mu sync.Mutex
	m  map[Date][]byte
}

func (c *saltCache) get(d Date) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[d]
	return s, ok
}

func (c *saltCache) put(d Date, salt []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[Date][]byte)
	}
	for old := range c.m {
		if old.Before(d.AddDays(-3)) {
			delete(c.m, old)
		}
	}
	c.m[d] = salt
}

// saltPrefetchEvery is how often the writer makes sure it holds today's and
// tomorrow's salts.
const saltPrefetchEvery = 10 * time.Minute

// prefetchSalts reads today's and tomorrow's salts ahead of need, until the
// writer stops: an outage that spans midnight must not stop the writer for
// want of the new day's salt (it would then hold events in memory rather
// than spool them). A failed prefetch is simply tried again later.
func (r *Recorder) prefetchSalts() {
	for {
		today := DateOf(time.Now().In(r.cfg.Timezone))
		for _, d := range []Date{today, today.AddDays(1)} {
			if _, ok := r.salts.get(d); ok {
				continue
			}
			if salt, err := r.fetchSalt(r.ctx, saltKey(d), r.saltExpiry(d)); err == nil {
				r.salts.put(d, salt)
			}
		}
		t := time.NewTimer(saltPrefetchEvery)
		select {
		case <-r.done:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (r *Recorder) fetchSalt(ctx context.Context, key string, expire time.Time) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	if err := r.rdb.SetArgs(ctx, key, hex.EncodeToString(b[:]), redis.SetArgs{Mode: "NX", ExpireAt: expire}).Err(); err != nil && err != redis.Nil {
		return nil, err
	}
	v, err := r.rdb.Get(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	return []byte(v), nil
}

// saltExpiry is when a day's salt expires: a day after the day ends, and
// at least a day from now, because an event can arrive dated in the past
// (a long queue, a clock behind), and EXAT in the past would expire the
// key at once.
func (r *Recorder) saltExpiry(day Date) time.Time {
	expire := day.AddDays(1).Start(r.cfg.Timezone).Add(saltLife)
	if floor := time.Now().Add(saltLife); expire.Before(floor) {
		expire = floor
	}
	return expire
}

// LoadSalt reads the visitor salt of t's day into memory, creating it if
// this is the first instance to ask, so that VisitorID knows the day at
// once: the gateway loads today's at start-up (the writer's prefetch runs
// in the background), tests the day they scan on. One try, bounded by ctx
// and two seconds.
func (r *Recorder) LoadSalt(ctx context.Context, t time.Time) error {
	day := DateOf(t.In(r.cfg.Timezone))
	if _, ok := r.salts.get(day); ok {
		return nil
	}
	salt, err := r.fetchSalt(ctx, saltKey(day), r.saltExpiry(day))
	if err != nil {
		return fmt.Errorf("stats: load visitor salt of %s: %w", day, err)
	}
	r.salts.put(day, salt)
	return nil
}
