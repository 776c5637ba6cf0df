package apps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Hold keeps an app's launch links from being asked for until Until:
// the platform refused them as a whole (Refused: not published, banned,
// not allowed), or one of its limits was reached.
type Hold struct {
	Until   time.Time
	Code    int
	Message string
	Refused bool
}

// Hold records a hold on the tenant's app, as of version (its UpdatedAt
// when the refused call was made): a PUT since makes it moot (a new PUT
// lifts every hold). A hold never shortens one in force: a minute's limit
// leaves a day's, or a refusal of the app, as it is; a refusal during a
// day's hold is not recorded on the app (its links show it), and a day's
// hold replaces a shorter refusal's.
func (s *Store) Hold(ctx context.Context, tenant, platform, appID string, version time.Time, h Hold) error {
	refused := 0
	if h.Refused {
		refused = 1
	}
	n, err := holdLua.Run(ctx, s.rdb, []string{appKey(platform, appID)}, tenant, version.UnixMilli(),
		h.Until.UnixMilli(), h.Code, h.Message, refused).Int()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// holdLua: KEYS[1] the app; ARGV tenant, the app's version (ms), until
// (ms), code, message, refused. 0: not the tenant's app.
var holdLua = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'updated') ~= ARGV[2] then return 1 end
if tonumber(redis.call('HGET', KEYS[1], 'hold_until') or '0') >= tonumber(ARGV[3]) then return 1 end
redis.call('HSET', KEYS[1], 'hold_until', ARGV[3], 'hold_code', ARGV[4], 'hold_message', ARGV[5], 'hold_refused', ARGV[6])
return 1
`)

// NextChinaDay is the start of the day after t's in China, when WeChat's
// and Douyin's daily limits start again.
func NextChinaDay(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, chinaTime)
}

// Status is the outcome of a check of a set of credentials.
type Status struct {
	State        State
	ErrorCode    int
	ErrorMessage string
	CheckedAt    time.Time
	NextCheck    time.Time
}

// status is the state of the credentials a platform's tokens are fetched
// with: the app's, or its service account's.
func (a App) status(platform string) Status {
	if checkPrefix(platform) != "" {
		return a.Service
	}
	return Status{State: a.State, ErrorCode: a.ErrorCode, ErrorMessage: a.ErrorMessage, CheckedAt: a.CheckedAt, NextCheck: a.NextCheck}
}

// Check is the outcome of a credentials check.
type Check struct {
	OK bool
	// Unreachable: the platform could not be asked; the app stays
	// unchecked, with Message saying why.
	Unreachable bool
	Code        int    // the platform's error code
	Message     string // the platform's message
	At          time.Time
	NextCheck   time.Time // when a refused secret may be tried again
}

// RecordCheck stores the outcome of a credentials check on the tenant's app.
func (s *Store) RecordCheck(ctx context.Context, tenant, platform, appID string, c Check) (App, error) {
	state, code, msg := StateOK, 0, ""
	switch {
	case c.Unreachable:
		state, msg = StateUnchecked, c.Message
	case !c.OK:
		state, code, msg = StateError, c.Code, c.Message
	}
	key, p := appKey(basePlatform(platform), appID), checkPrefix(platform)
	// Only on the tenant's own app, and only if it still exists.
	n, err := recordLua.Run(ctx, s.rdb, []string{key}, tenant, p+"state", string(state), p+"code", code,
		p+"message", msg, p+"checked", c.At.UnixMilli(), p+"next", unixMilli(c.NextCheck)).Int()
	if err != nil {
		return App{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if n == 0 {
		return App{}, ErrNotFound
	}
	return s.Get(ctx, tenant, basePlatform(platform), appID)
}

var recordLua = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
return 1
`)

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Check fetches a token for an app at once (after a PUT), whatever its last
// state, and returns the app with the outcome.
func (t *Tokens) Check(ctx context.Context, tenant, platform, appID string) (App, error) {
	// A new PUT has just made the app unchecked: the refused-secret wait
	// does not apply, and a token shared under the old secret is dropped.
	if err := t.store.rdb.Del(ctx, tokenKey(platform, appID), tokenKey(WeChatService, appID), tokenKey(WeChatTicket, appID)).Err(); err != nil {
		return App{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := t.check(ctx, tenant, platform, appID); err != nil {
		return App{}, err
	}
	a, err := t.store.Get(ctx, tenant, platform, appID)
	if err != nil || platform != WeChat || a.ServiceAppID == "" {
		return a, err
	}
	// The service account, for the open tag: its ticket needs its token.
	if err := t.check(ctx, tenant, WeChatTicket, appID); err != nil {
		return App{}, err
	}
	return t.store.Get(ctx, tenant, platform, appID)
}

// check fetches one token at once and records why when there is none
// for another reason than the credentials.
func (t *Tokens) check(ctx context.Context, tenant, platform, appID string) error {
	_, err := t.Token(ctx, tenant, platform, appID)
	switch {
	case err == nil, errors.Is(err, ErrRefused):
	case errors.Is(err, ErrUnavailable), errors.Is(err, ErrNoKey), errors.Is(err, ErrNotFound), ctx.Err() != nil:
		return err // the store's trouble, not the platform's
	default:
		// No token, for another reason than the credentials (the platform
		// unreachable, busy, or answering an error of its own): the app
		// stays unchecked, and says why; the next use of its token tries
		// again. The error names no secret.
		if _, rerr := t.store.RecordCheck(ctx, tenant, platform, appID, Check{Unreachable: true,
			Message: "could not get a token from " + basePlatform(platform) + " (it will be tried again): " + err.Error(), At: t.now()}); rerr != nil {
			return rerr
		}
	}
	return nil
}
