package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sign-in throttling: failures are counted per account and per address
// (the caller passes a digest of it: no address is stored). Past a few
// free failures each one doubles the wait before the next try, up to
// maxSignInWait; a success clears the account's count. Counts fade a day
// after the last failure.
const (
	freeAccountFailures = 5
	freeAddressFailures = 20
	maxSignInWait       = 15 * time.Minute
)

func signInFailKey(kind, id string) string { return "sg:auth:fail:" + kind + ":" + id }

// failLua counts one failure of KEYS[1]: ARGV[1] free failures, ARGV[2]
// now (Unix ms), ARGV[3] the longest wait (ms). It sets the time before
// which no try is allowed.
const failLua = `
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local over = n - tonumber(ARGV[1])
if over > 0 then
  local wait = math.min(1000 * 2 ^ (over - 1), tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'until', tonumber(ARGV[2]) + wait)
end
redis.call('EXPIRE', KEYS[1], 86400)
return n
`

var failScript = redis.NewScript(failLua)

// SignInWait is how long a sign-in from an address (digest) to an account
// must wait; 0 when it may try now.
func (s *Store) SignInWait(ctx context.Context, addr, email string) (time.Duration, error) {
	var cmds []*redis.StringCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		cmds = append(cmds, p.HGet(ctx, signInFailKey("addr", addr), "until"), p.HGet(ctx, signInFailKey("acct", email), "until"))
		return nil
	}); err != nil && err != redis.Nil {
		return 0, fmt.Errorf("sign-in: %w: %w", ErrUnavailable, err)
	}
	var wait time.Duration
	now := s.now().UnixMilli()
	for _, c := range cmds {
		if until, err := c.Int64(); err == nil && until > now {
			wait = max(wait, time.Duration(until-now)*time.Millisecond)
		}
	}
	return wait, nil
}

// SignInFailed counts a failed sign-in.
func (s *Store) SignInFailed(ctx context.Context, addr, email string) error {
	now := s.now().UnixMilli()
	for _, k := range []struct {
		key  string
		free int
	}{{signInFailKey("addr", addr), freeAddressFailures}, {signInFailKey("acct", email), freeAccountFailures}} {
		if err := failScript.Run(ctx, s.rdb, []string{k.key}, k.free, now, maxSignInWait.Milliseconds()).Err(); err != nil {
			return fmt.Errorf("sign-in: %w: %w", ErrUnavailable, err)
		}
	}
	return nil
}

// SignInSucceeded clears the account's failures.
func (s *Store) SignInSucceeded(ctx context.Context, email string) error {
	return s.rdb.Del(ctx, signInFailKey("acct", email)).Err()
}
