--[[
  Record that an entry belongs to a tag, before its loader runs (or, for tags taken
  from the result, before its fill), so an invalidation of the tag from then on
  finds the entry and deletes its lease. Members are scored by when their entry
  expires at the latest; expired members are pruned here, so a tag's bookkeeping
  is bounded by its live entries, and the tag key itself expires with its last entry.

  KEYS[1]  tag key      <prefix>:tag:{<tag>}
  ARGV[1]  logical key of the entry (the member)
  ARGV[2]  latest expiry of the entry, epoch milliseconds
  ARGV[3]  prune before, epoch milliseconds: members whose entry expired before this go
           (the caller's clock minus a margin, so clock skew between app servers
           can't prune a live member)
]]
-- GT adds new members and raises, never lowers, an existing member's expiry
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local ttl = tonumber(ARGV[2]) - tonumber(ARGV[3])
if ttl > 0 then
  -- NX gives a new tag key its expiry; GT (which treats "no expiry" as infinite) extends it
  redis.call('PEXPIRE', KEYS[1], ttl, 'NX')
  redis.call('PEXPIRE', KEYS[1], ttl, 'GT')
end
return 1
