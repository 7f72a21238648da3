--[[
  Compare-and-set fill: write the loaded entry only while the writer still holds
  the lease. An eviction deletes the lease, so a load that read the database
  before a write cannot put the old row back (the stale-set race).
  Wakes the callers waiting on this key.

  KEYS[1]  value key   <prefix>:{<key>}
  KEYS[2]  lease key   <prefix>:{<key>}:lease
  KEYS[3]  failure key <prefix>:{<key>}:failure
  ARGV[1]  lease token
  ARGV[2]  entry (header and payload)
  ARGV[3]  entry time to live, milliseconds (ttl + grace)
  ARGV[4]  fill notification channel
  ARGV[5]  logical key (the notification message)
  ARGV[6]  '1' to skip the lease check: only the stale-set test uses it, to show the race

  Returns 1 when written, 0 when rejected (the lease was lost or evicted).
]]
if ARGV[6] ~= '1' and redis.call('GET', KEYS[2]) ~= ARGV[1] then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
