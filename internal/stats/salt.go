package stats

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/redis/go-redis/v9"
)

// saltLife is how long a day's visitor salt outlives the day: long enough
// for events of that day still in the queue, short enough that the day's
// visitor ids become irreversible soon after.
const saltLife = 24 * time.Hour

// daySalt returns the day's random visitor salt, shared by every instance
// through Redis: the first to ask creates it (SET NX) to expire a day after
// the day ends. While Redis is down it retries; the queue absorbs the wait
// as it does for batches. If the recorder is giving up, the events are
// lost anyway and a throwaway salt does.
func (r *Recorder) daySalt(day Date) []byte {
	key := saltKey(day)
	// A day's salt lives until a day after the day ends, and at least a day
	// from now: an event can arrive dated in the past (a long queue, a
	// clock behind), and EXAT in the past would expire the key at once.
	expire := day.AddDays(1).Start(r.cfg.Timezone).Add(saltLife)
	if floor := time.Now().Add(saltLife); expire.Before(floor) {
		expire = floor
	}
	backoff := 50 * time.Millisecond
	for {
		salt, err := r.fetchSalt(key, expire)
		if err == nil {
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

func (r *Recorder) fetchSalt(key string, expire time.Time) ([]byte, error) {
	ctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
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
