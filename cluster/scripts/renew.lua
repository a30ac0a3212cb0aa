-- ARGV[3]: token, ARGV[4]: the permit's epoch, ARGV[5]: ticket, ARGV[6..12]: member fields.
-- Returns {'renewed' | 'reregistered' | 'lost', the current epoch}.
local epoch = current_epoch()
reclaim()
local token = ARGV[3]
local h = key('holder:' .. token)
if redis.call('EXISTS', h) == 1 then
  redis.call('ZADD', key('holders'), 'XX', now + ttl, token)
  return { 'renewed', epoch }
end
-- Re-registration is for a permit of an earlier epoch (the server restarted empty), and only
-- in the grace period or while there is room: never past the limit.
local room = limit() - redis.call('ZCARD', key('holders'))
if ARGV[4] ~= epoch and (in_grace() or room > 0) then
  redis.call('HSET', h, member_fields(6))
  redis.call('HSET', h, 'ticket', ARGV[5], 'token', token, 'since', now, 'ttl', ttl)
  redis.call('ZADD', key('holders'), now + ttl, token)
  raise_counter('tokens', tonumber(token))
  raise_counter('tickets', tonumber(ARGV[5]))
  return { 'reregistered', epoch }
end
redis.call('INCR', key('stale'))
return { 'lost', epoch }
