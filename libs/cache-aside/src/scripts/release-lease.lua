--[[
  Give the lease back after a load that did not fill (the loader failed, or its
  result is not to be cached), so the next caller loads again, and wake the
  waiters so they don't sit until their deadline. A failure is recorded for
  ARGV[4] ms: waiters that were already waiting get it instead of loading again,
  and callers that may serve stale back off until it expires.

  KEYS[1]  lease key   <prefix>:{<key>}:lease
  KEYS[2]  failure key <prefix>:{<key>}:failure
  KEYS[3]  waiters key <prefix>:{<key>}:waiters (the notice is published only if set)
  ARGV[1]  lease token
  ARGV[2]  fill notification channel
  ARGV[3]  logical key (the notification message)
  ARGV[4]  record time to live, milliseconds (0: no record)
  ARGV[5]  the record: a failure '<failedAtMs>|<message>', or a hand-off 'h<atMs>|<entry>'
           (a result not to be cached, for the callers that were waiting for it)

  Returns 1 when the lease was ours and is released, 0 otherwise.
]]
local released = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  released = 1
  if tonumber(ARGV[4]) > 0 then
    redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4])
  end
end
if redis.call('DEL', KEYS[3]) == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return released
