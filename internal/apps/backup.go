package apps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Record is an app as a backup holds it: its Redis fields, secrets still
// sealed (they open only with the same secrets key).
type Record struct {
	Platform string            `json:"platform"`
	AppID    string            `json:"appid"`
	Fields   map[string]string `json:"fields"`
}

// Records returns every registered app, for a backup.
func (s *Store) Records(ctx context.Context) ([]Record, error) {
	tenants, err := s.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, t := range tenants {
		members, err := s.rdb.SMembers(ctx, tenantAppsKey(t)).Result()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		sort.Strings(members)
		for _, m := range members {
			platform, appID, _ := strings.Cut(m, ":")
			h, err := s.rdb.HGetAll(ctx, appKey(platform, appID)).Result()
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			if h["tenant"] == t {
				out = append(out, Record{Platform: platform, AppID: appID, Fields: h})
			}
		}
	}
	return out, nil
}

// restoreLua puts back an app: KEYS[1] the app, KEYS[2] its tenant's set,
// KEYS[3] the tenants; ARGV the tenant, the member, then field/value
// pairs. 0: another tenant's; 1: written.
var restoreLua = redis.NewScript(`
local owner = redis.call('HGET', KEYS[1], 'tenant')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1
`)

// Restore puts back an app from a backup: false when the store holds it as
// it is; ErrTaken when another tenant holds its app id here.
func (s *Store) Restore(ctx context.Context, r Record) (bool, error) {
	tenant := r.Fields["tenant"]
	if !ValidPlatform(r.Platform) || tenant == "" || !appIDPattern[r.Platform].MatchString(r.AppID) {
		return false, fmt.Errorf("%w: not an app record", ErrInvalid)
	}
	cur, err := s.rdb.HGetAll(ctx, appKey(r.Platform, r.AppID)).Result()
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if maps.Equal(cur, r.Fields) {
		return false, nil
	}
	args := []any{tenant, r.Platform + ":" + r.AppID}
	for _, k := range slices.Sorted(maps.Keys(r.Fields)) {
		args = append(args, k, r.Fields[k])
	}
	n, err := restoreLua.Run(ctx, s.rdb, []string{appKey(r.Platform, r.AppID), tenantAppsKey(tenant), tenantsKey()}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if n == 0 {
		return false, ErrTaken
	}
	return true, nil
}
