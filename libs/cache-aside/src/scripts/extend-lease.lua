--[[
  Keep the lease alive while a slow loader is still running (a crashed holder
  stops extending, so the lease expires and a waiter takes over).

  KEYS[1]  lease key   <prefix>:{<key>}:lease
  ARGV[1]  lease token
  ARGV[2]  new time to live, milliseconds

  Returns 1 when extended, 0 when the lease is no longer ours.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
