-- ARGV[3]: token. Returns 1 when it held a permit, 0 for a stale token (counted, no change).
current_epoch()
reclaim()
local token = ARGV[3]
local released = redis.call('ZREM', key('holders'), token)
if released == 1 then
  redis.call('DEL', key('holder:' .. token))
else
  redis.call('INCR', key('stale'))
end
admit()
return released
