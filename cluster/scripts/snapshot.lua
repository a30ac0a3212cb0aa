-- Returns {limit, now, lost, stale, grace_until, epoch, holders, waiters}; each holder
-- {token, ticket, host, agent, command, pid, priority, age_bound, since, expires}, each waiter
-- the same without a token (0) and with its heartbeat expiry, in the line's order.
local epoch = current_epoch()
reclaim()
admit()
local fields = { 'ticket', 'host', 'agent', 'command', 'pid', 'priority', 'age_bound', 'since' }
local holders = {}
local held = redis.call('ZRANGE', key('holders'), 0, -1, 'WITHSCORES')
for i = 1, #held, 2 do
  local row = redis.call('HMGET', key('holder:' .. held[i]), unpack(fields))
  table.insert(row, 1, held[i])
  row[#row + 1] = held[i + 1]
  holders[#holders + 1] = row
end
local waiters = {}
for _, entry in ipairs(line()) do
  local row = redis.call('HMGET', key('waiter:' .. entry.ticket), unpack(fields))
  row[1] = entry.ticket  -- a waiter's hash has no ticket field: its key names it
  table.insert(row, 1, '0')
  row[#row + 1] = tostring(redis.call('ZSCORE', key('waiters'), entry.ticket))
  waiters[#waiters + 1] = row
end
return { limit(), now, tonumber(redis.call('GET', key('lost'))) or 0,
  tonumber(redis.call('GET', key('stale'))) or 0,
  tonumber(redis.call('GET', key('grace'))) or 0, epoch, holders, waiters }
