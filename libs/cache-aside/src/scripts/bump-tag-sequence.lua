--[[
  Raise the tag sequence for an invalidation and return the new value, which becomes
  the invalidated tags' version. The sequence follows the server clock in microseconds
  and never goes down: if the key expired (no invalidation for a long time) or was
  lost in a failover, the next value is still above every version handed out before.

  KEYS[1]  tag sequence   <prefix>:tag-sequence
  ARGV[1]  time to live of the sequence key, milliseconds

  Returns the new sequence value as a decimal string (exact up to 2^53).
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local nextValue = math.max(current + 1, now)
local text = string.format('%.0f', nextValue)
redis.call('SET', KEYS[1], text, 'PX', ARGV[1])
return text
