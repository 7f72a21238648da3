--[[
  Before a tagged entry is filled: make the tag's version key live at least as long
  as the entry (an invalidation must still be readable for the entry's whole life,
  "not found" TTLs and grace included), creating it at version 0 if the tag was never
  invalidated. Returns the version, so a load the tag was invalidated under can skip
  its fill.

  KEYS[1]  tag version   <prefix>:tag-version:{<tag>}
  ARGV[1]  time to live the key must at least have, milliseconds

  The key is given twice the life it needs, and touched only when it has less than it
  needs: every change of the key is an invalidation the near caches of the fleet receive
  (they drop the tag's entries), so fills must not touch it each time.

  Returns the tag's version as a decimal string ('0': never invalidated).
]]
local needed = tonumber(ARGV[1])
local version = redis.call('GET', KEYS[1])
if not version then
  redis.call('SET', KEYS[1], '0', 'PX', needed * 2)
  return '0'
end
local remaining = redis.call('PTTL', KEYS[1])
-- never shortens: the key keeps the longest life any entry or invalidation needed
if remaining >= 0 and remaining < needed then
  redis.call('PEXPIRE', KEYS[1], needed * 2)
end
return version
