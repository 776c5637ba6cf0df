package stats

// streamLua appends one tenant's raw events to its stream, up to
// maxEntryRecords events to an entry, in one field (streamcodec.go), and
// trims it to at most a number of events and to an age.
//
// KEYS[1] is the writer's mark, KEYS[2] the stream, KEYS[3] its index
// (a list of "ID COUNT", oldest first), KEYS[4] the events the index
// counts and KEYS[5] the tenant's rank of codes by scans. ARGV[1] batch
// sequence, ARGV[2] mark TTL in seconds, ARGV[3] the most events to keep,
// ARGV[4] MINID (Unix ms: entries older than the stream's age limit),
// ARGV[5] the field's name, ARGV[6] the number of ranked codes, then for
// each a code and its scans, then for each entry its number of events and
// its encoding. It returns {1 applied or 0 already, entries refused}.
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
local nrank = tonumber(ARGV[6])
for i = 7, 6 + 2 * nrank, 2 do redis.pcall('ZINCRBY', KEYS[5], ARGV[i+1], ARGV[i]) end
for e = 7 + 2 * nrank, #ARGV, 2 do
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
