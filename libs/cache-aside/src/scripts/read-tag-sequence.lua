--[[
  The tag sequence now, read by a load of a tagged entry before it reads the database:
  an invalidation of one of its tags from then on gets a higher version, so the entry
  is known to be out of date. A missing key is started at the server clock (as
  bump-tag-sequence.lua would), never at 0: versions handed out before it expired
  stay below it, so entries loaded now are not mistaken for out of date.

  KEYS[1]  tag sequence   <prefix>:tag-sequence
  ARGV[1]  time to live of the sequence key, milliseconds, when it has to be started

  Returns the sequence value as a decimal string.
]]
local current = redis.call('GET', KEYS[1])
if current then
  return current
end
local time = redis.call('TIME')
local text = string.format('%.0f', tonumber(time[1]) * 1000000 + tonumber(time[2]))
redis.call('SET', KEYS[1], text, 'PX', ARGV[1])
return text
