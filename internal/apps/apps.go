// Package apps owns each tenant's platform apps: a WeChat or Douyin mini
// program's AppID and AppSecret (and, for WeChat's open tag, a service
// account's), encrypted at rest, with the state of its last credentials
// check. An app is registered to one tenant; another tenant sees nothing
// of it. It knows nothing of HTTP and never logs.
package apps

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Platforms.
const (
	WeChat = "wechat"
	Douyin = "douyin"
	// WeChatService and WeChatTicket are a WeChat app's service account
	// (for the open tag on the gateway's pages) and its JS-SDK ticket:
	// their tokens are kept and shared like an app's, under the mini
	// program's app id, and their checks are the service account's state.
	WeChatService = "wechat_service"
	WeChatTicket  = "wechat_ticket"
)

// basePlatform is the platform of the app record a token belongs to.
func basePlatform(platform string) string {
	if platform == WeChatService || platform == WeChatTicket {
		return WeChat
	}
	return platform
}

// checkPrefix is the prefix of the state fields a platform's checks write
// on the app record: the service account's apart from the app's.
func checkPrefix(platform string) string {
	if basePlatform(platform) != platform {
		return "svc_"
	}
	return ""
}

// Errors.
var (
	ErrNotFound = errors.New("app not found")
	// ErrTaken: the app id is registered to another tenant. Nothing more
	// is said of it.
	ErrTaken   = errors.New("app id taken")
	ErrInvalid = errors.New("invalid")
	// ErrNoKey: secrets cannot be stored without a secrets key.
	ErrNoKey = errors.New("no secrets key configured: set secrets.key (SCANGATE_SECRETS_KEY) to 32 bytes of base64 to store platform and events secrets")
	// ErrUnavailable wraps every failure to reach the store.
	ErrUnavailable = errors.New("app store unavailable")
)

// State is the outcome of the last credentials check.
type State string

// States.
const (
	StateUnchecked State = "unchecked"
	StateOK        State = "ok"
	StateError     State = "error"
)

// App is a registered app as its tenant sees it: never its secrets.
type App struct {
	Tenant, Platform, AppID string
	SecretSet               bool
	ServiceAppID            string
	ServiceSecretSet        bool
	ServiceDomain           string
	// Service is the service account's last check, when one is set.
	Service Status
	// Hold: the platform refused the app's launch links as a whole, or
	// limits its calls, until Hold.Until.
	Hold         Hold
	State        State
	ErrorCode    int    // the platform's code, when State is error
	ErrorMessage string // the platform's message
	CheckedAt    time.Time
	// NextCheck: a refused secret is not tried again before this (or a
	// new PUT).
	NextCheck            time.Time
	CreatedAt, UpdatedAt time.Time
	// MadeToday counts the launch links (URL Links, schemes) made for the
	// app on QuotaDay (today, China time), of QuotaLimit a day (0: the
	// platform publishes none).
	MadeToday  int64
	QuotaDay   string
	QuotaLimit int64
}

// DailyLinks is WeChat's daily quota of URL Links and encrypted schemes
// together, per mini program, and Douyin's of URL Links.
const DailyLinks = 500_000

// Redis keys. They share one hash tag, so that registering an app and
// listing it for its tenant is one script in a Cluster too: apps are few
// (one or two a tenant) and read seldom.
func appKey(platform, appID string) string { return "sg:{apps}:app:" + platform + ":" + appID }
func tenantAppsKey(tenant string) string   { return "sg:{apps}:tenant:" + tenant }
func tenantsKey() string                   { return "sg:{apps}:tenants" }

// madeKey counts an app's launch links made on a day (China time).
func madeKey(platform, appID, day string) string {
	return "sg:{apps}:made:" + platform + ":" + appID + ":" + day
}

// Store keeps apps in Redis. Secrets are sealed with the secrets key; with
// no key, Put refuses (ErrNoKey) and everything else works.
type Store struct {
	rdb    redis.UniversalClient
	sealer *Sealer
	now    func() time.Time
}

// NewStore returns a store; sealer may be nil (no secrets key).
func NewStore(rdb redis.UniversalClient, sealer *Sealer) *Store {
	return &Store{rdb: rdb, sealer: sealer, now: time.Now}
}

// sealContext binds a sealed secret to its app and field.
func sealContext(platform, appID, field string) string { return platform + ":" + appID + ":" + field }

// putLua registers or updates an app for a tenant: KEYS[1] the app,
// KEYS[2] the tenant's set, KEYS[3] the app's token, KEYS[4] the prefix of
// every tenant's set (the previous owner's is KEYS[4]..owner, in the same
// slot), KEYS[5] the set of tenants with apps; ARGV[1] the tenant, ARGV[2]
// the set's member, ARGV[3] now, then
// field/value pairs. It answers 0 when the app belongs to another tenant
// whose credentials work (state ok, or not checked yet). An app whose
// credentials the platform refused may be taken over, so that nobody can
// hold an app id with a made-up secret.
var putLua = redis.NewScript(`
local owner = redis.call('HGET', KEYS[1], 'tenant')
if owner and owner ~= ARGV[1] then
  if redis.call('HGET', KEYS[1], 'state') ~= 'error' then return 0 end
  redis.call('SREM', KEYS[4] .. owner, ARGV[2])
  redis.call('DEL', KEYS[1], KEYS[3])
  owner = false
end
if not owner then redis.call('HSET', KEYS[1], 'tenant', ARGV[1], 'created', ARGV[3]) end
redis.call('HDEL', KEYS[1], 'svc_appid', 'svc_secret', 'svc_domain', 'svc_state', 'svc_code', 'svc_message', 'svc_checked', 'svc_next',
  'hold_until', 'hold_code', 'hold_message', 'hold_refused')
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[5], ARGV[1])
return 1
`)

// Put registers an app for a tenant, or replaces its secrets, and marks
// it unchecked. An app id is registered to one tenant: another's is
// ErrTaken.
func (s *Store) Put(ctx context.Context, tenant, platform, appID string, in Input) (App, error) {
	if err := validate(platform, appID, in); err != nil {
		return App{}, err
	}
	if s.sealer == nil {
		return App{}, ErrNoKey
	}
	now := strconv.FormatInt(s.now().UnixMilli(), 10)
	args := []any{tenant, platform + ":" + appID, now,
		"secret", s.sealer.Seal(in.Secret, sealContext(platform, appID, "secret")),
		"state", string(StateUnchecked), "code", 0, "message", "", "checked", 0, "next", 0, "updated", now}
	if in.ServiceAppID != "" {
		args = append(args, "svc_appid", in.ServiceAppID, "svc_domain", in.ServiceDomain,
			"svc_secret", s.sealer.Seal(in.ServiceSecret, sealContext(platform, appID, "svc_secret")),
			"svc_state", string(StateUnchecked))
	}
	ok, err := putLua.Run(ctx, s.rdb, []string{appKey(platform, appID), tenantAppsKey(tenant),
		tokenKey(platform, appID), tenantAppsKey(""), tenantsKey()}, args...).Int()
	if err != nil {
		return App{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if ok == 0 {
		return App{}, ErrTaken
	}
	return s.Get(ctx, tenant, platform, appID)
}

// Get returns one of the tenant's apps; another tenant's is ErrNotFound.
func (s *Store) Get(ctx context.Context, tenant, platform, appID string) (App, error) {
	if !ValidPlatform(platform) {
		return App{}, ErrNotFound
	}
	h, err := s.rdb.HGetAll(ctx, appKey(platform, appID)).Result()
	if err != nil {
		return App{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if h["tenant"] != tenant {
		return App{}, ErrNotFound
	}
	a := appOf(platform, appID, h)
	now := s.now()
	a.QuotaDay = now.In(chinaTime).Format(time.DateOnly)
	n, err := s.rdb.Get(ctx, madeKey(platform, appID, chinaDay(now))).Int64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return App{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	a.MadeToday = n
	a.QuotaLimit = DailyLinks
	return a, nil
}

// CountMade counts a launch link made for an app at now, for its daily
// quota.
func (s *Store) CountMade(ctx context.Context, platform, appID string, now time.Time) error {
	key := madeKey(platform, appID, chinaDay(now))
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, key)
		p.Expire(ctx, key, 48*time.Hour)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// chinaDay is the day WeChat's daily limits count in.
func chinaDay(t time.Time) string { return t.In(chinaTime).Format("20060102") }

func appOf(platform, appID string, h map[string]string) App {
	ms := func(f string) time.Time {
		n, _ := strconv.ParseInt(h[f], 10, 64)
		if n == 0 {
			return time.Time{}
		}
		return time.UnixMilli(n).UTC()
	}
	code, _ := strconv.Atoi(h["code"])
	svcCode, _ := strconv.Atoi(h["svc_code"])
	holdCode, _ := strconv.Atoi(h["hold_code"])
	return App{Tenant: h["tenant"], Platform: platform, AppID: appID, SecretSet: h["secret"] != "",
		ServiceAppID: h["svc_appid"], ServiceSecretSet: h["svc_secret"] != "", ServiceDomain: h["svc_domain"],
		Service: Status{State: State(h["svc_state"]), ErrorCode: svcCode, ErrorMessage: h["svc_message"],
			CheckedAt: ms("svc_checked"), NextCheck: ms("svc_next")},
		Hold:  Hold{Until: ms("hold_until"), Code: holdCode, Message: h["hold_message"], Refused: h["hold_refused"] == "1"},
		State: State(h["state"]), ErrorCode: code, ErrorMessage: h["message"], CheckedAt: ms("checked"),
		NextCheck: ms("next"), CreatedAt: ms("created"), UpdatedAt: ms("updated")}
}

// List returns the tenant's apps, by platform and app id.
func (s *Store) List(ctx context.Context, tenant string) ([]App, error) {
	members, err := s.rdb.SMembers(ctx, tenantAppsKey(tenant)).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	sort.Strings(members)
	out := make([]App, 0, len(members))
	for _, m := range members {
		platform, appID, _ := strings.Cut(m, ":")
		a, err := s.Get(ctx, tenant, platform, appID)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Tenants lists the tenants that have registered an app (some may have
// deleted theirs since).
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	out, err := s.rdb.SMembers(ctx, tenantsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	sort.Strings(out)
	return out, nil
}

// deleteLua removes an app if it is the tenant's, with its tokens: KEYS[1]
// the app, KEYS[2] the tenant's set, KEYS[3..] the tokens; ARGV[1] the
// tenant, ARGV[2] the member. 0: not found.
var deleteLua = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], unpack(KEYS, 3))
redis.call('SREM', KEYS[2], ARGV[2])
return 1
`)

// Delete removes one of the tenant's apps and its secrets; the app id is
// then free for any tenant.
func (s *Store) Delete(ctx context.Context, tenant, platform, appID string) error {
	if !ValidPlatform(platform) {
		return ErrNotFound
	}
	n, err := deleteLua.Run(ctx, s.rdb, []string{appKey(platform, appID), tenantAppsKey(tenant), tokenKey(platform, appID),
		tokenKey(WeChatService, appID), tokenKey(WeChatTicket, appID)}, tenant, platform+":"+appID).Int()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
