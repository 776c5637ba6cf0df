package stats

// Exactly once, in Redis Cluster too.
//
// A batch is split by hash tag: the counters of each link and each campaign
// it touches, and the stream of each tenant. Every key of a tag shares the
// tag, so one script run per tag touches a single slot, as Cluster requires
// of a script, and applies its part of the batch atomically. All the script
// calls of a batch go in one pipeline: one round trip (one per node in
// Cluster). With a single-node client (*redis.Client, Sentinel included),
// where a script may touch any key, one call carries many tags, up to
// maxCallArgs arguments: fewer calls cost Redis a quarter less when a batch
// touches many links, and each call still stays short.
//
// For each tag, a script first checks and sets a mark in the tag's slot,
// sg:{TAG}:w:WRITER, holding the sequence number of the last batch that
// writer applied to that tag. A writer is one Recorder (a random id per
// process), and it applies its batches one at a time, in order, retrying a
// batch until it succeeds before it takes the next. So "seq <= mark" means
// "already applied": a retry after a timeout, a lost reply, a dropped
// connection or a Redis restart (with the append-only file, the mark and the
// increments are persisted together, as they come from one script) skips
// the tags that did apply and applies the rest. This is a batch-id SET NX
// whose memory is one small key per (tag, writer) instead of one per (tag,
// batch): a busy link sees tens of batches a second.
//
// The mark expires after Config.DedupTTL; the writer gives up on a batch
// that has failed for half that long, so a mark never expires while a retry
// of its batch may still come.
//
// The scripts are run with EVALSHA; a call that meets NOSCRIPT (a restarted
// Redis, or a promoted replica, has an empty script cache) is sent again at
// once as EVAL, which carries the body and caches it for later batches.

// countersLua applies the counter increments of one or more tags.
//
// KEYS holds, for each tag, its writer's mark followed by its data keys.
// ARGV[1] batch sequence, ARGV[2] mark TTL in seconds, ARGV[3] the number m
// of capped field prefixes, then m pairs of a prefix ("city:") and its cap;
// then for each tag: its number of data keys, and for each of those: its
// kind ("h": hash increments, "u": visitor ids for PFADD), its EXPIREAT (0:
// none), a count n, and n field/increment pairs ("h") or n ids ("u").
// It returns {tags applied (the others had been already), operations
// refused}.
//
// A field of a capped prefix (a city, a region, a rule, a variant) that
// does not exist yet is kept only while the hash holds fewer such fields
// than the cap, counted in the field "n" followed by the prefix without its
// colon (ncity, nrg...); later names are counted under prefix.."other", so
// a flood of distinct names cannot grow a hash without bound. A capped
// field is incremented first and found new when it then holds just the
// increment (the writer never adds 0 to one, and counters only grow), and
// a new one is counted at once: one command for a field that exists, the
// common case, two for a new one under the cap; over the cap, both are
// taken back.
//
// A hash that does not exist yet (HLEN 0: a link's first event of the day
// or hour, every event when each hits a different link) is written with
// one HSET of all its fields and counts and one EXPIREAT, instead of a
// dozen HINCRBYs. An existing key is not given its expiry again: it got it
// in the call that made it (a hash from the HSET above, a visitor set from
// a PFADD that answered 1), in the same atomic script.
//
// Every data command runs under redis.pcall: a command Redis refuses (an
// increment that would overflow a counter, a key someone overwrote with
// another type) is skipped and counted, and everything else in the call is
// still applied. A script error would stop the call half-way, after its
// marks were set, and lose the rest of the batch for every tag it carries.
const countersLua = `
local seq, ncaps = tonumber(ARGV[1]), tonumber(ARGV[3])
local caps = {}
for i = 4, 3 + 2*ncaps, 2 do caps[ARGV[i]] = tonumber(ARGV[i+1]) end
local k, a, applied, refused = 1, 4 + 2*ncaps, 0, 0
local function try(...)
  local r = redis.pcall(...)
  if type(r) == 'table' and r.err then
    refused = refused + 1
    return nil
  end
  return r
end
while k <= #KEYS do
  local nkeys = tonumber(ARGV[a])
  a = a + 1
  -- One command reads and sets the mark; a mark that was ahead of this
  -- batch (an older batch retried) is put back.
  local prev = tonumber(redis.call('SET', KEYS[k], ARGV[1], 'EX', ARGV[2], 'GET') or '0')
  local fresh = seq > prev
  if fresh then
    applied = applied + 1
  elseif prev > seq then
    redis.call('SET', KEYS[k], prev, 'EX', ARGV[2])
  end
  for j = k + 1, k + nkeys do
    local key, kind, exp, n = KEYS[j], ARGV[a], ARGV[a+1], tonumber(ARGV[a+2])
    a = a + 3
    if kind == 'h' then
      if fresh and try('HLEN', key) == 0 then
        -- A new hash: every field is new, and one HSET writes them all,
        -- the caps applied as below, with their counts.
        local vals, order, seen = {}, {}, {}
        local function put(f, v)
          if vals[f] == nil then order[#order+1] = f; vals[f] = 0 end
          vals[f] = vals[f] + v
        end
        for i = a, a + 2*n - 1, 2 do
          local f, incr = ARGV[i], tonumber(ARGV[i+1])
          local c = string.find(f, ':', 1, true)
          local p = c and string.sub(f, 1, c)
          local cap = p and caps[p]
          if not cap then
            put(f, incr)
          elseif incr > 0 then
            if (seen[p] or 0) < cap then
              seen[p] = (seen[p] or 0) + 1
              put(f, incr)
            else
              put(p .. 'other', incr)
            end
          end
        end
        for p, m in pairs(seen) do put('n' .. string.sub(p, 1, -2), m) end
        for i = 1, #order, 500 do
          local args = {}
          for x = i, math.min(i + 499, #order) do
            args[#args+1] = order[x]
            args[#args+1] = vals[order[x]]
          end
          try('HSET', key, unpack(args))
        end
        if exp ~= '0' then try('EXPIREAT', key, exp) end
      elseif fresh then
        -- An existing hash got its expiry when it was made.
        for i = a, a + 2*n - 1, 2 do
          local f, incr = ARGV[i], tonumber(ARGV[i+1])
          local c = string.find(f, ':', 1, true)
          local cap = c and caps[string.sub(f, 1, c)]
          if not cap then
            try('HINCRBY', key, f, incr)
          elseif incr > 0 and try('HINCRBY', key, f, incr) == incr then
            local count = 'n' .. string.sub(f, 1, c - 1)
            local seen = try('HINCRBY', key, count, 1)
            if seen and seen > cap then
              try('HINCRBY', key, count, -1)
              try('HDEL', key, f)
              try('HINCRBY', key, string.sub(f, 1, c) .. 'other', incr)
            end
          end
        end
      end
      a = a + 2*n
    else
      if fresh then
        -- PFADD answers 1 when it made the key (or changed it): only
        -- then may the key need its expiry.
        local changed = false
        for i = a, a + n - 1, 500 do
          if try('PFADD', key, unpack(ARGV, i, math.min(i + 499, a + n - 1))) == 1 then changed = true end
        end
        if changed and exp ~= '0' then try('EXPIREAT', key, exp) end
      end
      a = a + n
    end
  end
  k = k + nkeys + 1
end
return {applied, refused}
`

// streamLua appends one tenant's raw events to its stream, up to
// maxEntryRecords events to an entry, in one field (streamcodec.go), and
// trims it to at most a number of events and to an age.
//
// KEYS[1] is the writer's mark, KEYS[2] the stream, KEYS[3] its index
// (a list of "ID COUNT", oldest first) and KEYS[4] the events the index
// counts. ARGV[1] batch sequence, ARGV[2] mark TTL in seconds, ARGV[3] the
// most events to keep, ARGV[4] MINID (Unix ms: entries older than the
// stream's age limit), ARGV[5] the field's name, then for each entry its
// number of events and its encoding. It returns {1 applied or 0 already,
// entries refused}.
//
// Trimming drops the oldest entries while the index counts more events
// than the limit, and those older than MINID: exact, and it reads no entry
// back (an entry is up to 64 events; trimming by entries at any assumed
// ratio would drop a quiet tenant's history after one busy batch). Entries
// not in the index (an earlier release's, one event each, older than every
// indexed one) are trimmed first, exactly as many as the count is over, and
// by age. Without a count, or with nothing indexed (a stream of an earlier
// release, a key lost), the count is rebuilt from the index, unindexed
// entries counting one event. A round trims at most 10,000 indexed
// entries; the next batch goes on.
const streamLua = `
local seq = tonumber(ARGV[1])
if seq <= tonumber(redis.call('GET', KEYS[1]) or '0') then return {0, 0} end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
local stream, index, field, refused = KEYS[2], KEYS[3], ARGV[5], 0
local function num(r) if type(r) == 'number' then return r end return 0 end
local listed = num(redis.pcall('LLEN', index))
local total = tonumber(redis.pcall('GET', KEYS[4]))
if listed == 0 or not total then
  -- No count, or nothing listed (an earlier release's stream, or a key
  -- lost): count the listed entries' events again, and every other entry
  -- as one event.
  total = num(redis.pcall('XLEN', stream)) - listed
  for i = 0, listed - 1, 10000 do
    local part = redis.pcall('LRANGE', index, i, i + 9999)
    if type(part) == 'table' and not part.err then
      for _, item in ipairs(part) do total = total + (tonumber(string.match(item, ' (%d+)$')) or 0) end
    end
  end
  total = math.max(total, 0)
end
for e = 6, #ARGV, 2 do
  local id = redis.pcall('XADD', stream, '*', field, ARGV[e+1])
  if type(id) == 'table' and id.err then
    refused = refused + 1
  else
    total = total + tonumber(ARGV[e])
    local r = redis.pcall('RPUSH', index, id .. ' ' .. ARGV[e])
    if type(r) == 'table' and r.err then total = total - tonumber(ARGV[e]) + 1 end -- counted as unlisted
  end
end
local max, minms = tonumber(ARGV[3]), tonumber(ARGV[4])
-- Unlisted entries (earlier releases', one event each) are the oldest:
-- they go first, exactly as many as the count is over.
listed = num(redis.pcall('LLEN', index))
local unlisted = num(redis.pcall('XLEN', stream)) - listed
if total > max and unlisted > 0 then
  local k = math.min(total - max, unlisted)
  total = total - num(redis.pcall('XTRIM', stream, 'MAXLEN', '=', num(redis.pcall('XLEN', stream)) - k))
end
for round = 1, 10000 do
  local head = redis.call('LINDEX', index, 0)
  if not head then break end
  local ms, sq, n = string.match(head, '^(%d+)-(%d+) (%d+)$')
  if not ms then
    redis.call('LPOP', index) -- not ours: skip it
  elseif total > max or tonumber(ms) < minms then
    local d = num(redis.pcall('XTRIM', stream, 'MINID', '=', ms .. '-' .. (tonumber(sq) + 1)))
    redis.call('LPOP', index)
    total = total - tonumber(n) - math.max(d - 1, 0) -- and unlisted entries older than it
  else
    break
  end
end
total = total - num(redis.pcall('XTRIM', stream, 'MINID', '=', ARGV[4])) -- unlisted entries, by age
redis.pcall('SET', KEYS[4], math.max(total, 0))
return {1, refused}
`
