--[[
  Compare-and-set fill: write the loaded entry only while the writer still holds
  the lease. An eviction (or a patch) deletes the lease, so a load that read the
  database before a write cannot put the old row back (the stale-set race).
  Wakes the callers waiting on this key, whether the fill landed or not, with one
  PUBLISH if any caller was told to wait (the waiters key): without waiters, no
  message reaches every process (and, on a Cluster, every node) for each miss.

  KEYS[1]  value key   <prefix>:{<key>}
  KEYS[2]  lease key   <prefix>:{<key>}:lease
  KEYS[3]  failure key <prefix>:{<key>}:failure
  KEYS[4]  waiters key <prefix>:{<key>}:waiters
  ARGV[1]  lease token
  ARGV[2]  '1' to skip the lease check: only the stale-set test uses it, to show the race
  ARGV[3]  entry time to live, milliseconds (ttl + grace)
  ARGV[4]  fill notification channel
  ARGV[5]  logical key (the notification message)
  ARGV[6]  storage: 'string', 'hash' or 'json'
  ARGV[7…] the entry: one string, hash field/value pairs, or a JSON document's text

  Returns 1 when written, 0 when rejected (the lease was lost, evicted or patched over).
]]
if ARGV[2] ~= '1' and redis.call('GET', KEYS[2]) ~= ARGV[1] then
  if redis.call('DEL', KEYS[4]) == 1 then
    redis.call('PUBLISH', ARGV[4], ARGV[5])
  end
  return 0
end
if ARGV[6] == 'hash' then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], unpack(ARGV, 7))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
elseif ARGV[6] == 'json' then
  redis.call('DEL', KEYS[1])
  redis.call('JSON.SET', KEYS[1], '$', ARGV[7])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[7], 'PX', ARGV[3])
end
-- One DEL for the lease, the failure record and the waiters mark. The lease was there (checked
-- above), so more than one key deleted means a waiter, or a failure record (rare: a failed
-- load's back-off), for which the notice is merely unneeded.
local leaseHeld = ARGV[2] ~= '1' and 1 or 0
if redis.call('DEL', KEYS[2], KEYS[3], KEYS[4]) > leaseHeld then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return 1
