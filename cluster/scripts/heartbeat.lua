-- ARGV[3]: ticket, ARGV[4]: the epoch it joined in, ARGV[5..11]: its member fields.
-- Returns {1, "<token> <epoch>"} when admitted, {0, ahead, ms of grace left} while waiting,
-- {-1, ""} when the ticket expired (its heartbeats stopped).
local epoch = current_epoch()
reclaim()
local ticket = ARGV[3]
local wake = key('wake:' .. ticket)
local permit = redis.call('LPOP', wake) or redis.call('GET', key('granted:' .. ticket))
if permit then
  return { 1, permit }
end
if redis.call('ZSCORE', key('waiters'), ticket) then
  redis.call('ZADD', key('waiters'), 'XX', now + ttl, ticket)
elseif ARGV[4] ~= epoch then
  -- The server restarted empty: the waiter takes its place again under its own ticket.
  local w = key('waiter:' .. ticket)
  redis.call('HSET', w, member_fields(5))
  redis.call('HSET', w, 'since', now, 'ttl', ttl)
  redis.call('ZADD', key('waiters'), now + ttl, ticket)
  raise_counter('tickets', tonumber(ticket))
  stretch_grace()
else
  return { -1, '' }
end
admit()
permit = redis.call('LPOP', wake)
if permit then
  return { 1, permit }
end
local ahead = 0
for _, entry in ipairs(line()) do
  if entry.ticket == tonumber(ticket) then
    break
  end
  ahead = ahead + 1
end
local grace_left = math.max(0, (tonumber(redis.call('GET', key('grace'))) or 0) - now)
return { 0, ahead, grace_left }
