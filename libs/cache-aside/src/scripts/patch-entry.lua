--[[
  Set named fields of a cached hash entry in place: only if the entry exists (a
  patch never creates a half entry), keeping its TTL. Any in-flight load of the
  key loses its lease whatever the outcome, so a fill that read the database
  before this write can't overwrite the patch.

  KEYS[1]  value key   <prefix>:{<key>}
  KEYS[2]  lease key   <prefix>:{<key>}:lease
  ARGV[1]  number of fields to remove (n)
  ARGV[2…n+1]  fields to remove
  ARGV[n+2…]   field/value pairs to set

  Returns 1 patched, 0 no entry (nothing created), 2 the entry can't be patched in
  place (a string entry, or a whole non-object value) and was deleted instead, 3 the
  entry is a RedisJSON document, left for patch-json-entry.lua.
]]
redis.call('DEL', KEYS[2])
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then
  return 0
end
if kind == 'ReJSON-RL' then
  return 3
end
if kind ~= 'hash' or redis.call('HEXISTS', KEYS[1], '_v') == 1 then
  redis.call('DEL', KEYS[1])
  return 2
end
local removeCount = tonumber(ARGV[1])
if removeCount > 0 then
  redis.call('HDEL', KEYS[1], unpack(ARGV, 2, removeCount + 1))
end
if #ARGV > removeCount + 1 then
  redis.call('HSET', KEYS[1], unpack(ARGV, removeCount + 2))
end
return 1
