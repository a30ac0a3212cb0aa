-- ARGV[3]: token. Returns 1 when it held a permit, 0 for a stale token (counted, no change).
current_epoch()
reclaim()
local token = ARGV[3]
local released = redis.call('ZSCORE', key('holders'), token) and 1 or 0
if released == 1 then
  drop_holder(token)
else
  redis.call('INCR', key('stale'))
end
admit()
return released
