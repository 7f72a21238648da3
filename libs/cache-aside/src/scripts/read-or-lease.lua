--[[
  Read an entry and, when it is missing or due for refresh, grant this caller
  the load lease if nobody holds it: one atomic step, so exactly one caller per
  key loads while the others wait.

  KEYS[1]  value key   <prefix>:{<key>}  (a string, a hash with the header in field _m,
                                         or a RedisJSON document with it at $.m)
  KEYS[2]  lease key   <prefix>:{<key>}:lease
  KEYS[3]  failure key <prefix>:{<key>}:failure  ('<failedAtMs>|<message>', set by a failed load,
                                               or 'h<atMs>|<entry>', a result handed to
                                               the waiters of a load that doesn't cache it)
  KEYS[4]  waiters key <prefix>:{<key>}:waiters  (set when a caller is told HELD: the load's
                                               fill or release publishes its settle notice
                                               only when someone waits for it)
  ARGV[1]  lease token (random, per load)
  ARGV[2]  lease time to live, milliseconds
  ARGV[3]  caller's clock, epoch milliseconds (entries store their fresh-until on that clock)
  ARGV[4]  early refresh: the fresh-until of the entry the caller wants to refresh, or '0'.
           The lease is granted only if that entry is still the current one, so a key
           refreshed by someone else a moment ago is not refreshed twice.
  ARGV[5]  waiting since, epoch milliseconds, or '0' for a new caller. A waiter whose
           load failed meanwhile gets that failure instead of loading again; one whose
           load's result was not to be cached gets that result (a hand-off record).
  ARGV[6]  '1' when the caller may serve a stale entry: during the back-off after a
           failed load it gets BACKOFF instead of loading.

  Returns { state, entry, detail }  (entry: the string, the hash as a flat field/value
  list, or the JSON document's text)
    'FRESH'    entry is fresh: no lease taken
    'GRANTED'  this caller holds the lease; entry is the current (stale) value or nil
    'HELD'     another caller holds the lease; detail is its time to live in ms. The
               waiters key is set in the same step, outliving the lease by a second (a
               waiter asks again within the lease's time to live, setting it again)
    'FAILED'   the load this caller waited for failed; detail is the failure record
    'HANDOFF'  the load this caller waited for isn't cached; detail is its result's entry
    'BACKOFF'  a load failed recently: serve the stale entry, don't load
]]
local entry = false
local freshUntilText = false
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'string' then
  entry = redis.call('GET', KEYS[1])
  freshUntilText = string.match(entry, '^%d+|(%d+)|')
elseif kind == 'hash' then
  entry = redis.call('HGETALL', KEYS[1])
  -- the header from the reply in hand (a field name sits at every odd index): an HGET
  -- would cost a command
  for i = 1, #entry, 2 do
    if entry[i] == '_m' then
      freshUntilText = string.match(entry[i + 1], '^%d+|(%d+)|')
      break
    end
  end
elseif kind == 'ReJSON-RL' then
  -- only on servers with RedisJSON; the header is read as text ('["1|<freshUntil>|..."]')
  entry = redis.call('JSON.GET', KEYS[1])
  freshUntilText = string.match(redis.call('JSON.GET', KEYS[1], '$.m') or '', '^%["%d+|(%d+)|')
end
local freshUntil = freshUntilText and tonumber(freshUntilText)
if ARGV[4] ~= '0' then
  if freshUntilText ~= ARGV[4] then
    return { 'FRESH', false, 0 }
  end
elseif freshUntil and freshUntil > tonumber(ARGV[3]) then
  return { 'FRESH', entry, 0 }
end
local failure = redis.call('GET', KEYS[3])
if failure then
  local waitingSince = tonumber(ARGV[5])
  local failedAt = tonumber(string.match(failure, '^(%d+)|'))
  local handedOffAt = tonumber(string.match(failure, '^h(%d+)|'))
  if waitingSince > 0 and failedAt and failedAt >= waitingSince then
    return { 'FAILED', entry or false, failure }
  end
  if waitingSince > 0 and handedOffAt and handedOffAt >= waitingSince then
    return { 'HANDOFF', entry or false, string.sub(failure, string.find(failure, '|', 1, true) + 1) }
  end
  if failedAt and entry and ARGV[6] == '1' then
    return { 'BACKOFF', entry, 0 }
  end
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return { 'GRANTED', entry or false, 0 }
end
local leaseTtl = redis.call('PTTL', KEYS[2])
redis.call('SET', KEYS[4], '1', 'PX', math.max(leaseTtl, 0) + 1000)
return { 'HELD', entry or false, leaseTtl }
