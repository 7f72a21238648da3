--[[
  Mark a tag invalidated: its version becomes the invalidation's sequence value (never
  lowered, so two invalidations landing out of order keep the higher). Every entry of
  the tag whose load began before the invalidation recorded a lower sequence, so reads
  treat it as a miss from now on, in every process: O(1), however many entries the
  tag has.

  The version must outlive those entries: keep-tag.lua already stretched the key's
  life over every entry that filled; the floor covers loads still in flight, which
  stretch it themselves when they fill (a load older than half the floor doesn't fill).

  KEYS[1]  tag version   <prefix>:tag-version:{<tag>}
  ARGV[1]  the invalidation's sequence value (decimal)
  ARGV[2]  floor of the key's time to live, milliseconds
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
