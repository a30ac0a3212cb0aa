-- ARGV[3]: ticket. A waiter giving up; a permit handed to it meanwhile is given back.
current_epoch()
reclaim()
local ticket = ARGV[3]
redis.call('ZREM', key('waiters'), ticket)
redis.call('DEL', key('waiter:' .. ticket))
local permit = redis.call('LPOP', key('wake:' .. ticket))
if permit then
  local token = string.match(permit, '^(%d+)')
  redis.call('ZREM', key('holders'), token)
  redis.call('DEL', key('holder:' .. token))
end
redis.call('DEL', key('wake:' .. ticket))
admit()
return 1
