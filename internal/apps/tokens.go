package apps

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Fetcher gets an app's access token from its platform: the WeChat and
// Douyin clients, adapted in cmd/gateway.
type Fetcher interface {
	// Fetch returns a token and when it expires. force asks the platform
	// for a new token, invalidating the current one (WeChat only).
	Fetch(ctx context.Context, appID, secret string, force bool) (token string, expires time.Time, err error)
	// Refused reports whether err means the credentials themselves are
	// wrong (a bad secret, an unknown app): no use trying again soon. It
	// returns the platform's code and message.
	Refused(err error) (code int, message string, ok bool)
	// Stale reports whether err, from a call made with a token, means the
	// token is no longer good, so a forced refresh may help.
	Stale(err error) bool
}

// Token settings.
const (
	// refreshAhead: a token this close to its expiry is refreshed (WeChat
	// hands out the next one in the last 5 minutes), at most once in
	// minRefetch: a platform that answers with the same token keeps it
	// usable to its end without a call per use.
	refreshAhead = 5 * time.Minute
	minRefetch   = time.Minute
	// lockTTL bounds how long one instance holds the right to refresh: more
	// than a platform call may take (MaxCallTimeout).
	lockTTL = 15 * time.Second
	// MaxCallTimeout is the longest a platform call may be given.
	MaxCallTimeout = 10 * time.Second
	// waitStep and waitMax: how an instance that did not get the lock waits
	// for the one that did.
	waitStep = 50 * time.Millisecond
	// refusedBackoff: a refused secret is tried again no sooner (a new PUT
	// tries at once).
	refusedBackoff = 10 * time.Minute
	// WeChat allows 20 forced refreshes a day, 30 s apart.
	maxForcesPerDay = 20
	forceSpacing    = 30 * time.Second
)

// ErrRefused: the platform refused the app's credentials; the app's state
// says why, and it is not tried again before its NextCheck.
var ErrRefused = errors.New("the platform refused the app's credentials")

// ErrBusy: another instance is fetching the token and it did not arrive
// in time, or a forced refresh is not allowed yet.
var ErrBusy = errors.New("token not available yet")

func tokenKey(platform, appID string) string { return "sg:{apps}:token:" + platform + ":" + appID }
func lockKey(platform, appID string) string  { return "sg:{apps}:lock:" + platform + ":" + appID }
func forcesKey(platform, appID string, day string) string {
	return "sg:{apps}:forces:" + platform + ":" + appID + ":" + day
}

// Tokens keeps one access token per app, shared by every gateway instance
// through Redis (sealed, like the secrets), fetched by one instance at a
// time under a lock, ahead of its expiry.
type Tokens struct {
	store    *Store
	fetchers map[string]Fetcher
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	wait     time.Duration // how long to wait for another instance's fetch
}

// NewTokens returns the token keeper of a store, with a fetcher per
// platform whose calls take at most callTimeout (MaxCallTimeout at most):
// an instance waits that long and a little more for another's fetch.
func NewTokens(store *Store, fetchers map[string]Fetcher, callTimeout time.Duration) *Tokens {
	return &Tokens{store: store, fetchers: fetchers, now: time.Now, sleep: sleepCtx,
		wait: min(callTimeout, MaxCallTimeout) + 2*time.Second}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

type storedToken struct {
	Value   string `json:"v"`
	Expires int64  `json:"e"` // Unix ms
	Fetched int64  `json:"f"` // Unix ms
}

// cached returns the shared token: fresh when it is good for a while yet
// (or was fetched a moment ago), usable while it has not expired.
func (t *Tokens) cached(ctx context.Context, platform, appID string) (tok string, expires time.Time, fresh, usable bool, err error) {
	sealed, err := t.store.rdb.Get(ctx, tokenKey(platform, appID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", time.Time{}, false, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	raw, err := t.store.sealer.Open(sealed, sealContext(platform, appID, "token"))
	if err != nil {
		return "", time.Time{}, false, false, nil // another key, or damaged: fetch a new one
	}
	var st storedToken
	if json.Unmarshal([]byte(raw), &st) != nil {
		return "", time.Time{}, false, false, nil
	}
	now := t.now()
	expires = time.UnixMilli(st.Expires)
	left := expires.Sub(now)
	return st.Value, expires, left >= refreshAhead || now.Sub(time.UnixMilli(st.Fetched)) < minRefetch, left > 0, nil
}

// Token returns the app's access token: the shared one, or one fetched
// now by this instance or another. It never fetches for an app whose
// credentials were refused until its NextCheck.
func (t *Tokens) Token(ctx context.Context, tenant, platform, appID string) (string, error) {
	tok, _, err := t.token(ctx, tenant, platform, appID, "")
	return tok, err
}

// TokenUntil is Token with the time the token expires.
func (t *Tokens) TokenUntil(ctx context.Context, tenant, platform, appID string) (string, time.Time, error) {
	return t.token(ctx, tenant, platform, appID, "")
}

// Refresh replaces a token a platform call said is no longer good (stale),
// forcing a new one where the platform allows it, at most 20 a day and
// 30 s apart; if another instance has already replaced it, that one is
// returned.
func (t *Tokens) Refresh(ctx context.Context, tenant, platform, appID, stale string) (string, error) {
	tok, _, err := t.token(ctx, tenant, platform, appID, stale)
	return tok, err
}

func (t *Tokens) token(ctx context.Context, tenant, platform, appID, stale string) (string, time.Time, error) {
	if t.store.sealer == nil {
		return "", time.Time{}, ErrNoKey
	}
	f := t.fetchers[platform]
	if f == nil {
		return "", time.Time{}, ErrNotFound
	}
	deadline := t.now().Add(t.wait)
	for {
		tok, expires, fresh, usable, err := t.cached(ctx, platform, appID)
		if err != nil {
			return "", time.Time{}, err
		}
		if fresh && tok != stale {
			return tok, expires, nil
		}
		owner, err := t.lock(ctx, platform, appID)
		if err != nil {
			return "", time.Time{}, err
		}
		if owner != "" {
			got, gotExpires, err := t.fetch(ctx, tenant, platform, appID, stale, f)
			t.unlock(platform, appID, owner)
			if err != nil && usable && tok != stale && !errors.Is(err, ErrRefused) {
				return tok, expires, nil // not refreshed ahead this time; still good
			}
			return got, gotExpires, err
		}
		if usable && tok != stale {
			return tok, expires, nil // another instance is refreshing it ahead
		}
		if !t.now().Before(deadline) {
			return "", time.Time{}, ErrBusy
		}
		if err := t.sleep(ctx, waitStep); err != nil {
			return "", time.Time{}, err
		}
	}
}

// fetch gets a new token from the platform and shares it. It runs under
// the app's lock.
func (t *Tokens) fetch(ctx context.Context, tenant, platform, appID, stale string, f Fetcher) (string, time.Time, error) {
	// Another instance may have fetched while this one waited for the lock.
	if tok, expires, fresh, _, err := t.cached(ctx, platform, appID); err != nil || (fresh && tok != stale) {
		return tok, expires, err
	}
	app, err := t.store.Get(ctx, tenant, basePlatform(platform), appID)
	if err != nil {
		return "", time.Time{}, err
	}
	now := t.now()
	if st := app.status(platform); st.State == StateError && now.Before(st.NextCheck) {
		return "", time.Time{}, fmt.Errorf("%w: %d %s", ErrRefused, st.ErrorCode, st.ErrorMessage)
	}
	fetchID, secret, err := t.credentials(ctx, tenant, platform, appID)
	if err != nil {
		return "", time.Time{}, err
	}
	force := false
	if stale != "" {
		if force, err = t.mayForce(ctx, platform, appID, now); err != nil {
			return "", time.Time{}, err
		}
	}
	tok, expires, err := f.Fetch(ctx, fetchID, secret, force)
	if platform == WeChatTicket && f.Stale(err) {
		// The service account's token went stale: a new one, and again.
		if secret, _, err = t.token(ctx, tenant, WeChatService, appID, secret); err != nil {
			return "", time.Time{}, err
		}
		tok, expires, err = f.Fetch(ctx, fetchID, secret, false)
	}
	if code, msg, refused := f.Refused(err); refused {
		_, rerr := t.store.RecordCheck(ctx, tenant, platform, appID,
			Check{Code: code, Message: msg, At: now, NextCheck: now.Add(refusedBackoff)})
		return "", time.Time{}, errors.Join(fmt.Errorf("%w: %d %s", ErrRefused, code, msg), rerr)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if app.status(platform).State != StateOK {
		if _, err := t.store.RecordCheck(ctx, tenant, platform, appID, Check{OK: true, At: now}); err != nil {
			return "", time.Time{}, err
		}
	}
	raw, _ := json.Marshal(storedToken{Value: tok, Expires: expires.UnixMilli(), Fetched: now.UnixMilli()})
	ttl := expires.Sub(now)
	if ttl <= 0 {
		return "", time.Time{}, fmt.Errorf("apps: the platform gave a token that has expired")
	}
	sealed := t.store.sealer.Seal(string(raw), sealContext(platform, appID, "token"))
	if err := t.store.rdb.Set(ctx, tokenKey(platform, appID), sealed, ttl).Err(); err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return tok, expires, nil
}

// chinaTime is the zone WeChat's daily limits count days in.
var chinaTime = time.FixedZone("CST", 8*60*60)

// forceLua takes one of the day's forced refreshes if WeChat's rule allows
// it: KEYS[1] the day's count, KEYS[2] the last one's time (Unix ms);
// ARGV now, the most a day, the least spacing (ms). It answers 1 and counts
// it, or 0 and changes nothing.
var forceLua = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local now = tonumber(ARGV[1])
if n >= tonumber(ARGV[2]) or (last > 0 and now - last < tonumber(ARGV[3])) then return 0 end
redis.call('SET', KEYS[1], n + 1, 'EX', 172800)
redis.call('SET', KEYS[2], now, 'EX', 172800)
return 1
`)

// mayForce takes a forced refresh from WeChat's allowance (20 a day, by
// China's calendar, 30 s apart); refused, it answers ErrBusy (a normal call
// would only give back the stale token) and the allowance is untouched.
func (t *Tokens) mayForce(ctx context.Context, platform, appID string, now time.Time) (bool, error) {
	if platform != WeChat && platform != WeChatService {
		return false, nil // Douyin has no forced refresh; a ticket follows its token
	}
	day := chinaDay(now)
	ok, err := forceLua.Run(ctx, t.store.rdb, []string{forcesKey(platform, appID, day), forcesKey(platform, appID, "last")},
		now.UnixMilli(), maxForcesPerDay, forceSpacing.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if ok == 0 {
		return false, ErrBusy
	}
	return true, nil
}

func (t *Tokens) lock(ctx context.Context, platform, appID string) (string, error) {
	b := make([]byte, 16)
	rand.Read(b)
	owner := hex.EncodeToString(b)
	ok, err := t.store.rdb.SetNX(ctx, lockKey(platform, appID), owner, lockTTL).Result()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !ok {
		return "", nil
	}
	return owner, nil
}

var unlockLua = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// unlock releases the lock if this instance still holds it, even when the
// caller's context is done.
func (t *Tokens) unlock(platform, appID, owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	unlockLua.Run(ctx, t.store.rdb, []string{lockKey(platform, appID)}, owner)
}
