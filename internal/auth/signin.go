package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sign-in throttling: tries are counted per account and per address (the
// caller passes a digest of it: no address is stored), before the password
// is checked. Past a few free tries each one doubles the wait before the
// next, up to maxSignInWait; a success clears the account's count. Counts
// fade a day after the last try.
const (
	freeAccountFailures = 5
	freeAddressFailures = 20
	maxSignInWait       = 15 * time.Minute
)

func signInFailKey(kind, id string) string { return "sg:auth:fail:" + kind + ":" + id }

// tryLua counts a sign-in try of KEYS[1] unless it must wait: ARGV[1]
// free tries, ARGV[2] now (Unix ms), ARGV[3] the longest wait (ms). It
// returns the wait (ms) before a try is allowed, 0 when this one is (and
// is counted: a burst of tries at once cannot pass the check together).
const tryLua = `
local now = tonumber(ARGV[2])
local until_ = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if until_ > now then return until_ - now end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local over = n - tonumber(ARGV[1])
if over > 0 then
  redis.call('HSET', KEYS[1], 'until', now + math.min(1000 * 2 ^ (over - 1), tonumber(ARGV[3])))
end
redis.call('EXPIRE', KEYS[1], 86400)
return 0
`

var tryScript = redis.NewScript(tryLua)

// accountKey names an account in the throttle by a digest: whatever was
// typed, the key stays small.
func accountKey(email string) string { return signInFailKey("acct", hashSecret(email)[:32]) }

// SignInTry counts a sign-in try from an address (digest) to an account
// before its password is checked, and answers how long to wait first (0:
// go on). A success clears the account's count (SignInSucceeded).
func (s *Store) SignInTry(ctx context.Context, addr, email string) (time.Duration, error) {
	now := s.now().UnixMilli()
	var wait int64
	for _, k := range []struct {
		key  string
		free int
	}{{signInFailKey("addr", addr), freeAddressFailures}, {accountKey(email), freeAccountFailures}} {
		w, err := tryScript.Run(ctx, s.rdb, []string{k.key}, k.free, now, maxSignInWait.Milliseconds()).Int64()
		if err != nil {
			return 0, fmt.Errorf("sign-in: %w: %w", ErrUnavailable, err)
		}
		wait = max(wait, w)
	}
	return time.Duration(wait) * time.Millisecond, nil
}

// SignInSucceeded clears the account's tries.
func (s *Store) SignInSucceeded(ctx context.Context, email string) error {
	return s.rdb.Del(ctx, accountKey(email)).Err()
}
