--[[
  Set values at paths inside a cached RedisJSON entry (storage 'json') in place: only
  if the entry exists (a patch never creates a half entry), keeping its TTL. Any
  in-flight load of the key loses its lease whatever the outcome, so a fill that read
  the database before this write can't overwrite the patch.

  The document is { m: header, a: { <place>: <tag> }, v: value } (json-document.ts).
  Annotations at or under a replaced place are dropped, the new value's are added;
  places are compared as text, never parsed (no cjson).

  KEYS[1]  value key   <prefix>:{<key>}
  KEYS[2]  lease key   <prefix>:{<key>}:lease
  ARGV[1]  number of changes
  then per change:
    JSONPath ('$.v.items[0].price'), place ('items.#0.price'), the new value's JSON or
    '' to remove it, the number n of the new value's annotations, then n place/tag pairs

  Returns 1 patched, 0 no entry (nothing created), 2 the entry was deleted instead: it
  isn't a JSON document (a hash or string entry), a path doesn't exist in it, or a path
  leads through a special value (a Date, a Map...) that JSON can't address.
]]
redis.call('DEL', KEYS[2])
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then
  return 0
end
local function evict()
  redis.call('DEL', KEYS[1])
  return 2
end
if kind ~= 'ReJSON-RL' then
  return evict()
end

-- place is `ancestor` or lies inside it ('' is the whole value: everything lies in it)
local function within(place, ancestor)
  return ancestor == '' or place == ancestor or string.sub(place, 1, #ancestor + 1) == ancestor .. '.'
end
local function annotationPath(place)
  return '$.a["' .. place .. '"]'
end

-- A document without its place map (not one of ours) can't be patched safely.
local keysReply = redis.pcall('JSON.OBJKEYS', KEYS[1], '$.a')
if type(keysReply) ~= 'table' or keysReply.err or not keysReply[1] then
  return evict()
end
local annotated = keysReply[1]

local changes = {}
local at = 2
for _ = 1, tonumber(ARGV[1]) do
  local count = tonumber(ARGV[at + 3])
  local change = { path = ARGV[at], place = ARGV[at + 1], json = ARGV[at + 2], pairsFrom = at + 4, count = count }
  for _, existing in ipairs(annotated) do
    if existing ~= change.place and within(change.place, existing) then
      return evict()
    end
  end
  changes[#changes + 1] = change
  at = at + 4 + 2 * count
end

for _, change in ipairs(changes) do
  for _, existing in ipairs(annotated) do
    if within(existing, change.place) then
      redis.call('JSON.DEL', KEYS[1], annotationPath(existing))
    end
  end
  if change.json == '' then
    redis.call('JSON.DEL', KEYS[1], change.path)
  else
    -- nil (Redis) or an error (other servers) when the path's parent doesn't exist
    local reply = redis.pcall('JSON.SET', KEYS[1], change.path, change.json)
    if type(reply) ~= 'table' or reply.err then
      return evict()
    end
    for i = change.pairsFrom, change.pairsFrom + 2 * change.count - 1, 2 do
      redis.call('JSON.SET', KEYS[1], annotationPath(ARGV[i]), '"' .. ARGV[i + 1] .. '"')
    end
  end
end
return 1
