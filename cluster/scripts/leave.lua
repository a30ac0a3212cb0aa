-- ARGV[3]: ticket. A waiter giving up; a permit handed to it meanwhile is given back.
current_epoch()
reclaim()
local ticket = ARGV[3]
redis.call('ZREM', key('waiters'), ticket)
redis.call('DEL', key('waiter:' .. ticket))
-- The grant, not the wake list: the waiter may have popped it and lost the reply.
local permit = redis.call('GET', key('granted:' .. ticket))
if permit then
  drop_holder(string.match(permit, '^(%d+)'))
end
redis.call('DEL', key('wake:' .. ticket))
admit()
return 1
