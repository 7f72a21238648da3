--[[
  Before a tagged entry is filled: make the tag's version key live at least as long
  as the entry (an invalidation must still be readable for the entry's whole life,
  "not found" TTLs and grace included), creating it at version 0 if the tag was never
  invalidated. Returns the version, so a load the tag was invalidated under can skip
  its fill.

  KEYS[1]  tag version   <prefix>:tag-version:{<tag>}
  ARGV[1]  time to live the key must at least have, milliseconds

  Returns the tag's version as a decimal string ('0': never invalidated).
]]
local version = redis.call('GET', KEYS[1])
if not version then
  redis.call('SET', KEYS[1], '0', 'PX', ARGV[1])
  return '0'
end
-- GT never shortens: the key keeps the longest life any entry or invalidation needed
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'GT')
return version
