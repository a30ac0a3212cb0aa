-- ARGV[3..9]: host, agent, command, pid, priority, age bound (ms), per-agent cap (0: none). Returns {ticket, epoch}.
local epoch = current_epoch()
reclaim()
local ticket = redis.call('INCR', key('tickets'))
local w = key('waiter:' .. ticket)
redis.call('HSET', w, member_fields(3))
redis.call('HSET', w, 'since', now, 'ttl', ttl)
redis.call('ZADD', key('waiters'), now + ttl, ticket)
admit()
return { ticket, epoch }
