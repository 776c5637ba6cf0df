package stats

// countersLua applies the counters of one or more groups of tags.
//
// A group is one hash tag (Cluster), or on a single node every tag whose
// name falls in one of markGroups groups (calls.go). KEYS holds, for each
// group, its writer's mark, then for each of its tags: the all-time hash;
// for each of its buckets (a day and an hour) the day's counter hash, the
// hour's, the day's visitor set and the hour's; and the daily visitor set
// of each of its A/B variants.
//
// ARGV[1] batch sequence, ARGV[2] mark TTL in seconds, ARGV[3] the cap on
// scan combinations per hash, ARGV[4] the cap on region names and on city
// names per day, ARGV[5] the number m of capped field prefixes, then m
// pairs of a prefix ("vo:") and its cap; then for each group its number of
// tags, and for each tag:
//
//	nb nv np [field incr]*np        its buckets, variant sets, and the
//	                                all-time hash's increments
//	for each bucket:
//	  dayEXPIREAT hourEXPIREAT
//	  nc [combination scans]*nc     scans, by combination of labels (keys.go)
//	  ni [visitor]*ni               for both visitor sets
//	  np [field incr]*np            opens, conversions, conversion value
//	  ng [prefix nf [field incr]*nf]*ng  their variants, by capped prefix
//	for each variant set:
//	  EXPIREAT ni [visitor]*ni
//
// (EXPIREAT 0: none.) A bucket's counts go to both its hashes, and its
// visitors to both its sets. It returns {groups applied (the others had
// been already), operations refused}.
//
// Every increment is one HINCRBY, and a scan is one field per hash, so a
// scan of a link costs a handful of commands: one per counter hash and
// visitor set, and a few more for what is new (a combination, a key). Each
// argument costs Redis a tenth of a command or so (Lua makes a string of
// it), so a bucket sends its counts and visitors once for its day and hour.
//
// A day hash keeps the first Config.MaxCities region names and, apart
// from them, the first MaxCities city names it sees, each noted in a field
// "@rg:name" or "@city:name" and counted in "n@rg" and "n@city"; a scan of
// a later new name counts with that name "other", in the day's hash and in
// the hour's (which follows the day). Only a combination new to the day is
// checked: a name already kept costs nothing more. The combinations of a
// hash are counted in "ns", once per hash for all the new ones of a call;
// past Config.MaxCombinations, a safety net, the last new ones count with
// region and city "other" too. Host apps, OSes, channels and countries come
// from short fixed lists, and rules and variants from the link's own
// settings. A field of a capped prefix (the variant of an open or a
// conversion, which the mini program reports) that does not exist yet is
// kept only while the hash holds fewer such fields than the cap, counted
// in "n" followed by the prefix without its colon; later names count under
// prefix.."other". A new field with nothing to add is not made. Counts go
// to HINCRBY as the strings the writer sent: exact to the int64 limit.
//
// A counter hash gets its EXPIREAT when its first combination is counted,
// or when any increment made a field (the expiry is a function of the key's
// day or hour, so giving it again is harmless). A visitor set is made by
// the same call as its hash's first scan, and gets its EXPIREAT then, or
// whenever it changes if that hash could not be written. Keys are not
// expected to be evicted one without the other (Redis's default
// maxmemory-policy, noeviction).
//
// Every data command runs under redis.pcall: a command Redis refuses (a
// key someone overwrote with another type, an increment that would
// overflow) is skipped and counted, and everything else in the call is
// still applied. A script error would stop the call half-way, after its
// marks were set, and lose the rest of the batch for every group it
// carries.
const countersLua = `
local KEYS, ARGV, pcall, tonumber, type, min = KEYS, ARGV, redis.pcall, tonumber, type, math.min
local seq, ccap, lcap, ncaps = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local caps = {}
for i = 6, 5 + 2*ncaps, 2 do caps[ARGV[i]] = tonumber(ARGV[i+1]) end
local k, a, applied, refused = 1, 6 + 2*ncaps, 0, 0
-- incr adds n (a string: exact past 2^53) and answers the new value, or
-- nil if Redis refused.
local function incr(key, f, n)
  local r = pcall('HINCRBY', key, f, n)
  if type(r) == 'table' then
    refused = refused + 1
    return nil
  end
  return r
end
local function expire(key, exp)
  if exp ~= '0' and type(pcall('EXPIREAT', key, exp)) == 'table' then refused = refused + 1 end
end
-- pfadd adds ARGV[i .. i+n-1] and says whether the set changed.
local function pfadd(key, i, n)
  local changed = false
  for x = i, i + n - 1, 500 do
    local r = pcall('PFADD', key, unpack(ARGV, x, min(x + 499, i + n - 1)))
    if type(r) == 'table' then refused = refused + 1 elseif r == 1 then changed = true end
  end
  return changed
end
-- parts splits a combination: "s", platform, os, channel, country, region,
-- city, rule, variant.
local function parts(f)
  local p = {}
  for part in string.gmatch(f .. '\31', '([^\31]*)\31') do p[#p+1] = part end
  return p
end
-- geo matches the region and city of a combination.
local geo = '^s\31[^\31]*\31[^\31]*\31[^\31]*\31[^\31]*\31([^\31]*)\31([^\31]*)\31'
-- admit answers whether a day hash keeps a region or city name (kind
-- "rg" or "city"): the first lcap names of each kind are kept, each noted
-- in a field "@kind:name" and counted in "n@kind".
local function admit(key, kind, name)
  if name == nil or name == '' then return true end
  local seen = '@' .. kind .. ':' .. name
  local r = pcall('HSETNX', key, seen, 1)
  if type(r) == 'table' then
    refused = refused + 1
    return true
  end
  if r == 0 then return true end
  local c = incr(key, 'n@' .. kind, 1)
  if c and c > lcap then
    incr(key, 'n@' .. kind, -1)
    pcall('HDEL', key, seen)
    return false
  end
  return true
end
-- fields[x] is the field combination x of a bucket counts under: its own,
-- or with region or city "other" past the caps; new holds the x of the
-- combinations a hash did not have.
local fields, new = {}, {}
-- count adds the bucket's nc combinations (from ARGV[a]) to one hash. The
-- day hash (day true) decides which names it keeps and sets fields; the
-- hour hash counts what the day decided. The new combinations are counted
-- in "ns" with one command; past ccap, the last new ones are taken back and
-- counted with region and city "other" (a safety net: names are capped
-- already). It answers whether the hash got its first combinations (nil:
-- it refused them all).
local function count(key, a, nc, day)
  local made, m = nil, 0
  for x = 1, nc do
    local n = ARGV[a + 2*x - 1]
    if day then fields[x] = ARGV[a + 2*x - 2] end
    local f = fields[x]
    local r = pcall('HINCRBY', key, f, n)
    if type(r) == 'table' then
      refused = refused + 1
    else
      made = false
      if r == tonumber(n) then
        if day then
          -- New today: past the caps, its region or city counts as other.
          local rg, city = string.match(f, geo)
          local kr, kc = admit(key, 'rg', rg), admit(key, 'city', city)
          if not (kr and kc) then
            local p = parts(f)
            pcall('HDEL', key, f)
            if not kr then p[6] = 'other' end
            if not kc then p[7] = 'other' end
            f = table.concat(p, '\31')
            r = incr(key, f, n)
          end
        end
        if day then fields[x] = f end
        if r == tonumber(n) then
          m = m + 1
          new[m] = x
        end
      end
    end
  end
  if m == 0 then return made end
  local c = incr(key, 'ns', m)
  if not c then return true end -- unknown: take it as new, for its expiry
  local over = min(c - ccap, m)
  if over > 0 then
    local back = 0
    for y = m - over + 1, m do
      -- The field moves whole: other combinations of the call may have
      -- come to the same one.
      local f = fields[new[y]]
      local p = parts(f)
      for z = 6, 7 do if p[z] ~= '' then p[z] = 'other' end end
      local g = table.concat(p, '\31')
      local v = g ~= f and pcall('HGET', key, f)
      if type(v) == 'string' then
        pcall('HDEL', key, f)
        back = back + 1
        if incr(key, g, v) == tonumber(v) then back = back - 1 end
        if day then
          for x = 1, nc do if fields[x] == f then fields[x] = g end end
        end
      end
    end
    if back ~= 0 then incr(key, 'ns', -back) end
  end
  return c == m
end
-- label counts n under field f of capped prefix p; it answers whether it
-- made a field.
local function label(key, p, f, n)
  if incr(key, f, n) ~= tonumber(n) then return false end
  local count = 'n' .. string.sub(p, 1, -2)
  local seen = incr(key, count, 1)
  if seen and seen > caps[p] then
    incr(key, count, -1)
    pcall('HDEL', key, f)
    incr(key, p .. 'other', n)
  end
  return true
end
while k <= #KEYS do
  local ntags = tonumber(ARGV[a])
  a = a + 1
  -- One command reads and sets the mark; a mark that was ahead of this
  -- batch (an older batch retried) is put back.
  local prev = tonumber(redis.call('SET', KEYS[k], ARGV[1], 'EX', ARGV[2], 'GET') or '0')
  local apply = seq > prev
  if apply then
    applied = applied + 1
  elseif prev > seq then
    redis.call('SET', KEYS[k], prev, 'EX', ARGV[2])
  end
  k = k + 1
  for t = 1, ntags do
    local nb, nv, np = tonumber(ARGV[a]), tonumber(ARGV[a+1]), tonumber(ARGV[a+2])
    a = a + 3
    local total = KEYS[k]
    k = k + 1
    if apply then
      for i = a, a + 2*np - 1, 2 do incr(total, ARGV[i], ARGV[i+1]) end
    end
    a = a + 2*np
    for b = 1, nb do
      local dh, hh, du, hu = KEYS[k], KEYS[k+1], KEYS[k+2], KEYS[k+3]
      local dexp, hexp, nc = ARGV[a], ARGV[a+1], tonumber(ARGV[a+2])
      k, a = k + 4, a + 3
      -- dmade, hmade: whether this call counted the hash's first scan
      -- (nil: the hash refused every one); dnew, hnew: a field was made.
      local dmade, hmade, dnew, hnew = nil, nil, false, false
      if apply and nc > 0 then
        dmade = count(dh, a, nc, true)
        hmade = count(hh, a, nc, false)
      end
      a = a + 2*nc
      local ni = tonumber(ARGV[a])
      a = a + 1
      if apply and ni > 0 then
        if pfadd(du, a, ni) and dmade ~= false then expire(du, dexp) end
        if pfadd(hu, a, ni) and hmade ~= false then expire(hu, hexp) end
      end
      a = a + ni
      local nf = tonumber(ARGV[a])
      a = a + 1
      if apply then
        for i = a, a + 2*nf - 1, 2 do
          local n = tonumber(ARGV[i+1])
          if incr(dh, ARGV[i], ARGV[i+1]) == n then dnew = true end
          if incr(hh, ARGV[i], ARGV[i+1]) == n then hnew = true end
        end
      end
      a = a + 2*nf
      local ng = tonumber(ARGV[a])
      a = a + 1
      for g = 1, ng do
        local p, nl = ARGV[a], tonumber(ARGV[a+1])
        a = a + 2
        if apply then
          for i = a, a + 2*nl - 1, 2 do
            if tonumber(ARGV[i+1]) > 0 then
              if label(dh, p, ARGV[i], ARGV[i+1]) then dnew = true end
              if label(hh, p, ARGV[i], ARGV[i+1]) then hnew = true end
            end
          end
        end
        a = a + 2*nl
      end
      if apply then
        if dmade or dnew then expire(dh, dexp) end
        if hmade or hnew then expire(hh, hexp) end
      end
    end
    for v = 1, nv do
      local key, exp, ni = KEYS[k], ARGV[a], tonumber(ARGV[a+1])
      k, a = k + 1, a + 2
      if apply and pfadd(key, a, ni) then expire(key, exp) end
      a = a + ni
    end
  end
end
return {applied, refused}
`
