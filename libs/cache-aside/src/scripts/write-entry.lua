--[[
  An explicit set (CacheAsideService.set): write the entry and kill any
  in-flight lease, so a load that started earlier cannot overwrite this newer
  value with its own. Wakes waiters.

  KEYS[1]  value key   <prefix>:{<key>}
  KEYS[2]  lease key   <prefix>:{<key>}:lease
  KEYS[3]  failure key <prefix>:{<key>}:failure
  ARGV[1]  entry (header and payload)
  ARGV[2]  entry time to live, milliseconds
  ARGV[3]  fill notification channel
  ARGV[4]  logical key (the notification message)
]]
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
