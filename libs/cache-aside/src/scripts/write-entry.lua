--[[
  An explicit set (CacheAsideService.set, or replacing a corrupt entry): write the
  entry and kill any in-flight lease, so a load that started earlier cannot
  overwrite this newer value with its own. Wakes waiters.

  KEYS[1]  value key   <prefix>:{<key>}
  KEYS[2]  lease key   <prefix>:{<key>}:lease
  KEYS[3]  failure key <prefix>:{<key>}:failure
  KEYS[4]  waiters key <prefix>:{<key>}:waiters (the notice is published only if set)
  ARGV[1]  entry time to live, milliseconds
  ARGV[2]  fill notification channel
  ARGV[3]  logical key (the notification message)
  ARGV[4]  storage: 'string', 'hash' or 'json'
  ARGV[5…] the entry: one string, hash field/value pairs, or a JSON document's text
]]
if ARGV[4] == 'hash' then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], unpack(ARGV, 5))
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
elseif ARGV[4] == 'json' then
  redis.call('DEL', KEYS[1])
  redis.call('JSON.SET', KEYS[1], '$', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[5], 'PX', ARGV[1])
end
redis.call('DEL', KEYS[2], KEYS[3])
if redis.call('DEL', KEYS[4]) == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
end
return 1
