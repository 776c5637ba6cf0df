package links

import (
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"
)

// Limits are what one tenant may store: live links, distinct campaigns
// and distinct tags (0: no limit). They are checked where a write adds
// index entries, by one script in the tenant's slot, so that instances
// together never store past them.
type Limits struct {
	Links, Campaigns, Tags int64
}

// SetLimits gives the store each tenant's limits; without it there are
// none (the backup tools).
func (s *Store) SetLimits(f func(tenant string) Limits) { s.limits = f }

// QuotaError is a write refused because it would take the tenant past one
// of its Limits; Name is the quota ("links", "campaigns", "tags").
type QuotaError struct {
	Name  string
	Limit int64
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("your tenant's quota of %d %s is reached; delete some, or ask for a higher quota (GET /api/v1/usage shows it)",
		e.Limit, e.Name)
}

// Registries of a tenant's campaign and tag names that have live links,
// for counting them (a campaign's own list says nothing of how many there
// are).
func campaignsKey(tenant string) string { return "sg:{t:" + tenant + "}:campaigns" }
func tagsKey(tenant string) string      { return "sg:{t:" + tenant + "}:tags" }

// checkedIndexLua adds the index entries of links, each link's wholly or
// not at all, refusing a link its tenant's limits do not leave room for.
// KEYS[1] the tenant's list, KEYS[2] its campaigns, KEYS[3] its tags, then
// the entries' keys. ARGV[1..3] the limits (0: none); then for each link
// its number of entries and for each entry the index of its key in KEYS,
// score, member, registry ("c" campaign, "t" tag, "" none) and name. It
// returns, for each link, 0 (added) or the quota it would pass: 1 links,
// 2 campaigns, 3 tags. Stale extra entries count as links, so a tenant may
// be refused a few links early, never allowed past.
const checkedIndexLua = `
local lim = {tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])}
local used = {redis.call('ZCARD', KEYS[1]), redis.call('SCARD', KEYS[2]), redis.call('SCARD', KEYS[3])}
local out, i = {}, 4
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  i = i + 1
  local add, seen = {0, 0, 0}, {}
  for j = i, i + 5 * (n - 1), 5 do
    local key, member, reg, name = KEYS[tonumber(ARGV[j])], ARGV[j+2], ARGV[j+3], ARGV[j+4]
    if key == KEYS[1] and not redis.call('ZSCORE', key, member) then add[1] = 1 end
    if reg ~= '' and not seen[reg .. name] then
      seen[reg .. name] = true
      local r = reg == 'c' and 2 or 3
      if redis.call('SISMEMBER', KEYS[r], name) == 0 then add[r] = add[r] + 1 end
    end
  end
  local refused = 0
  for q = 1, 3 do
    if refused == 0 and add[q] > 0 and lim[q] > 0 and used[q] + add[q] > lim[q] then refused = q end
  end
  if refused == 0 then
    for j = i, i + 5 * (n - 1), 5 do
      redis.call('ZADD', KEYS[tonumber(ARGV[j])], ARGV[j+1], ARGV[j+2])
      if ARGV[j+3] ~= '' then redis.call('SADD', KEYS[ARGV[j+3] == 'c' and 2 or 3], ARGV[j+4]) end
    end
    for q = 1, 3 do used[q] = used[q] + add[q] end
  end
  out[#out + 1] = refused
  i = i + 5 * n
end
return out
`

var checkedIndexScript = redis.NewScript(checkedIndexLua)

// dropEntriesLua removes index entries; a campaign or tag list left empty
// takes its name out of the registry. KEYS are the lists, then the
// campaigns and tags registries; ARGV for each list its member, registry
// and name.
const dropEntriesLua = `
local nk = #KEYS - 2
for k = 1, nk do
  local a = 3 * (k - 1) + 1
  redis.call('ZREM', KEYS[k], ARGV[a])
  if ARGV[a+1] ~= '' and redis.call('ZCARD', KEYS[k]) == 0 then
    redis.call('SREM', KEYS[ARGV[a+1] == 'c' and nk + 1 or nk + 2], ARGV[a+2])
  end
end
return 0
`

var dropEntriesScript = redis.NewScript(dropEntriesLua)

// indexChecked adds the tenant-slot entries of ls (one tenant's), each
// link's only if the tenant's limits leave room: errs[i] is a QuotaError
// for a link refused. The tenant's links are indexed for counting first
// (backfill.go).
func (s *Store) indexChecked(ctx context.Context, tenant string, ls []*Link) (errs []error, err error) {
	if err := s.ensureIndexes(ctx, tenant); err != nil {
		return nil, err
	}
	var lim Limits
	if s.limits != nil {
		lim = s.limits(tenant)
	}
	keys := []string{tenantLinksKey(tenant), campaignsKey(tenant), tagsKey(tenant)}
	at := map[string]int{}
	for i, k := range keys {
		at[k] = i + 1
	}
	args := []any{lim.Links, lim.Campaigns, lim.Tags}
	for _, l := range ls {
		entries, _ := indexesOf(l)
		args = append(args, len(entries))
		for _, e := range entries {
			if at[e.key] == 0 {
				keys = append(keys, e.key)
				at[e.key] = len(keys)
			}
			args = append(args, at[e.key], e.score, e.member, e.reg, e.name)
		}
	}
	res, err := checkedIndexScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, err
	}
	errs = make([]error, len(ls))
	for i, r := range res {
		switch r {
		case 1:
			errs[i] = &QuotaError{Name: "links", Limit: lim.Links}
		case 2:
			errs[i] = &QuotaError{Name: "campaigns", Limit: lim.Campaigns}
		case 3:
			errs[i] = &QuotaError{Name: "tags", Limit: lim.Tags}
		}
	}
	return errs, nil
}

// dropEntries removes tenant-slot entries (of one tenant), keeping the
// registries in step. A failure leaves extra entries, which readers skip.
func (s *Store) dropEntries(ctx context.Context, tenant string, entries []indexEntry) {
	if len(entries) == 0 {
		return
	}
	keys := make([]string, 0, len(entries)+2)
	args := make([]any, 0, 3*len(entries))
	for _, e := range entries {
		keys = append(keys, e.key)
		args = append(args, e.member, e.reg, e.name)
	}
	keys = append(keys, campaignsKey(tenant), tagsKey(tenant))
	dropEntriesScript.Run(ctx, s.rdb, keys, args...)
}

// Usage is what a tenant stores against its Limits.
type Usage struct {
	Links, Campaigns, Tags int64
}

// Usage counts what tenant stores.
func (s *Store) Usage(ctx context.Context, tenant string) (Usage, error) {
	if err := s.ensureIndexes(ctx, tenant); err != nil {
		return Usage{}, err
	}
	var l, c, t *redis.IntCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		l, c, t = p.ZCard(ctx, tenantLinksKey(tenant)), p.SCard(ctx, campaignsKey(tenant)), p.SCard(ctx, tagsKey(tenant))
		return nil
	}); err != nil {
		return Usage{}, fmt.Errorf("usage: %w: %w", ErrUnavailable, err)
	}
	return Usage{Links: l.Val(), Campaigns: c.Val(), Tags: t.Val()}, nil
}

// Names lists the campaigns and tags tenant's links use, sorted, at most
// max of each (a filter's suggestions).
func (s *Store) Names(ctx context.Context, tenant string, max int) (campaigns, tags []string, err error) {
	if err := s.ensureIndexes(ctx, tenant); err != nil {
		return nil, nil, err
	}
	var c, t *redis.StringSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		c, t = p.SMembers(ctx, campaignsKey(tenant)), p.SMembers(ctx, tagsKey(tenant))
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("names: %w: %w", ErrUnavailable, err)
	}
	first := func(names []string) []string {
		slices.Sort(names)
		return names[:min(len(names), max)]
	}
	return first(c.Val()), first(t.Val()), nil
}
