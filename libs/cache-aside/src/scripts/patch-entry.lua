--[[
  Set named fields of a cached hash entry in place: only if the entry exists (a
  patch never creates a half entry), keeping its TTL. Any in-flight load of the
  key loses its lease whatever the outcome, so a fill that read the database
  before this write can't overwrite the patch.

  With a version field, the patch applies only over the version just before its own
  (the entity's version grows by one per write, as a TypeORM @VersionColumn does): two
  writers whose patches reach Redis in the other order than their writes reached the
  database can't leave the older one cached, and a patch can't skip a write whose own
  patch hasn't landed (its fields would be missing under the newer version): such an
  entry is deleted instead.

  KEYS[1]  value key   <prefix>:{<key>}
  KEYS[2]  lease key   <prefix>:{<key>}:lease
  ARGV[1]  version field ('.<name>', holding a plain number) or '' for none
  ARGV[2]  the patch's version (a number), or '' for none
  ARGV[3]  number of fields to remove (n)
  ARGV[4…n+3]  fields to remove
  ARGV[n+4…]   field/value pairs to set

  Returns 1 patched, 0 no entry (nothing created), 2 the entry can't be patched in
  place (a string entry, a whole non-object value, no readable version to compare, or
  a version more than one behind the patch's) and was deleted instead, 3 the entry is a RedisJSON document, left for
  patch-json-entry.lua, 4 the entry already holds this version or a newer one
  (left as it is).
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
if ARGV[1] ~= '' then
  -- the value codec writes a plain number as 'J<number>'
  local cached = redis.call('HGET', KEYS[1], ARGV[1])
  local cachedVersion = cached and tonumber(string.match(cached, '^J(-?[%d.eE+-]+)$'))
  if not cachedVersion then
    redis.call('DEL', KEYS[1])
    return 2
  end
  local patchVersion = tonumber(ARGV[2])
  if cachedVersion >= patchVersion then
    return 4
  end
  if cachedVersion ~= patchVersion - 1 then
    redis.call('DEL', KEYS[1])
    return 2
  end
end
local removeCount = tonumber(ARGV[3])
if removeCount > 0 then
  redis.call('HDEL', KEYS[1], unpack(ARGV, 4, removeCount + 3))
end
if #ARGV > removeCount + 3 then
  redis.call('HSET', KEYS[1], unpack(ARGV, removeCount + 4))
end
return 1
