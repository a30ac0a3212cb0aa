-- ARGV[3]: token, ARGV[4]: the permit's epoch, ARGV[5]: ticket, ARGV[6..12]: member fields,
-- ARGV[13]: the limit the permit last saw (0: none yet).
-- Returns {'renewed' | 'reregistered' | 'lost', the current epoch, the limit}.
local epoch = current_epoch()
reclaim()
local token = ARGV[3]
local h = key('holder:' .. token)
if redis.call('EXISTS', h) == 1 then
  redis.call('ZADD', key('holders'), 'XX', now + ttl, token)
  return { 'renewed', epoch, limit() }
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
  -- A server restarted empty seeds the limit from the caller's settings: a lower one set by
  -- vq-admin limit --cluster, carried by the permits, wins.
  local carried = tonumber(ARGV[13]) or 0
  if carried > 0 and carried < limit() then
    redis.call('SET', key('limit'), carried)
  end
  stretch_grace()
  return { 'reregistered', epoch, limit() }
end
redis.call('INCR', key('stale'))
return { 'lost', epoch, limit() }
