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

// countersLua applies the counter increments of one or more groups of keys.
//
// KEYS holds, for each group, its writer's mark followed by its data keys.
// A group is one hash tag's keys (Cluster), or on a single node the keys
// of every tag whose name falls in one of markGroups groups (calls.go).
// ARGV[1] batch sequence, ARGV[2] mark TTL in seconds, ARGV[3] the cap on
// scan combinations per hash, ARGV[4] the number m of capped field
// prefixes, then m pairs of a prefix ("vo:") and its cap; then for each
// group: its number of data keys, and for each of those:
//
//	"h" EXPIREAT np [field incr]*np nc [combination incr folded]*nc
//	    ng [prefix nf [field incr]*nf]*ng
//	    a counter hash: np plain fields, nc scan combinations (keys.go),
//	    each with the one it folds to past the cap, and ng groups of fields
//	    of a capped prefix
//	"u" EXPIREAT ref n [id]*n
//	    a visitor set (PFADD); ref is the KEYS index of the counter hash
//	    whose first scan makes it too (0: none)
//
// (EXPIREAT 0: none.) It returns {groups applied (the others had been
// already), operations refused}.
//
// Every increment is one HINCRBY, and a scan is one field per hash (its
// combination of labels), so that a scan of a link costs a handful of
// commands: one per counter hash and visitor set, and a few more for what
// is new (a combination, a hash). Redis's own work for a command is well
// under what calling it from Lua costs, so the script keeps its logic, and
// its calls, to that.
//
// The hash's combinations are counted in the field "ns". A combination
// that is new past the cap is taken back and counted as its folded form
// instead (region and city "other"), which is not capped: host apps, OSes,
// channels and countries come from short fixed lists, and rules and
// variants from the link's own settings. A field of a capped prefix (the
// variant of an open or a conversion, which the mini program reports) that
// does not exist yet is kept only while the hash holds fewer such fields
// than the cap, counted in "n" followed by the prefix without its colon;
// later names count under prefix.."other". A new field with nothing to add
// is not made.
//
// A hash gets its EXPIREAT when its first combination is counted, or when
// any increment made a field (the expiry is a function of the key's day or
// hour, so giving it again is harmless). A visitor set is made by the same
// call as its hash's first scan, and gets its EXPIREAT then, or whenever it
// changes if that hash could not be read. Keys are not expected to be
// evicted one without the other (Redis's default maxmemory-policy,
// noeviction).
//
// Every data command runs under redis.pcall: a command Redis refuses (a
// key someone overwrote with another type, an increment that would
// overflow) is skipped and counted, and everything else in the call is
// still applied. A script error would stop the call half-way, after its
// marks were set, and lose the rest of the batch for every group it
// carries.
const countersLua = `
local seq, ccap, ncaps = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
local caps = {}
for i = 5, 4 + 2*ncaps, 2 do caps[ARGV[i]] = tonumber(ARGV[i+1]) end
local k, a, applied, refused = 1, 5 + 2*ncaps, 0, 0
-- KEYS index of a hash -> whether this call counted its first scan (nil:
-- no scan of it could be counted).
local made = {}
local function incr(key, f, n)
  local r = redis.pcall('HINCRBY', key, f, n)
  if type(r) == 'table' then
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
  local apply = seq > prev
  if apply then
    applied = applied + 1
  elseif prev > seq then
    redis.call('SET', KEYS[k], prev, 'EX', ARGV[2])
  end
  for j = k + 1, k + nkeys do
    local key, kind, exp = KEYS[j], ARGV[a], ARGV[a+1]
    if kind == 'h' then
      local np = tonumber(ARGV[a+2])
      a = a + 3
      local fresh = false -- a field was made: the hash may be new
      if apply then
        for i = a, a + 2*np - 1, 2 do
          if incr(key, ARGV[i], ARGV[i+1]) == tonumber(ARGV[i+1]) then fresh = true end
        end
      end
      a = a + 2*np
      local nc = tonumber(ARGV[a])
      a = a + 1
      if apply then
        for i = a, a + 3*nc - 1, 3 do
          local f, n, folded = ARGV[i], tonumber(ARGV[i+1]), ARGV[i+2]
          local r = incr(key, f, n)
          if r and made[j] == nil then made[j] = false end
          if r == n then
            local c = incr(key, 'ns', 1)
            if c == 1 then made[j], fresh = true, true end
            if c and c > ccap and folded ~= f then
              incr(key, 'ns', -1)
              redis.pcall('HDEL', key, f)
              if incr(key, folded, n) == n then incr(key, 'ns', 1) end
            end
          end
        end
      end
      a = a + 3*nc
      local ng = tonumber(ARGV[a])
      a = a + 1
      for g = 1, ng do
        local p, nf = ARGV[a], tonumber(ARGV[a+1])
        a = a + 2
        if apply then
          local cap = caps[p]
          for i = a, a + 2*nf - 1, 2 do
            local f, n = ARGV[i], tonumber(ARGV[i+1])
            if n > 0 and incr(key, f, n) == n then
              fresh = true
              local count = 'n' .. string.sub(p, 1, -2)
              local seen = incr(key, count, 1)
              if seen and seen > cap then
                incr(key, count, -1)
                redis.pcall('HDEL', key, f)
                incr(key, p .. 'other', n)
              end
            end
          end
        end
        a = a + 2*nf
      end
      if fresh and exp ~= '0' and type(redis.pcall('EXPIREAT', key, exp)) == 'table' then
        refused = refused + 1
      end
    else
      local ref, n = tonumber(ARGV[a+2]), tonumber(ARGV[a+3])
      a = a + 4
      if apply then
        -- PFADD answers 1 when it made the key (or changed it).
        local changed = false
        for i = a, a + n - 1, 500 do
          local r = redis.pcall('PFADD', key, unpack(ARGV, i, math.min(i + 499, a + n - 1)))
          if type(r) == 'table' then refused = refused + 1 elseif r == 1 then changed = true end
        end
        if changed and exp ~= '0' and made[ref] ~= false and
            type(redis.pcall('EXPIREAT', key, exp)) == 'table' then
          refused = refused + 1
        end
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
