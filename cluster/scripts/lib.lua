-- Prepended to every vq script. KEYS[1] is the queue's key prefix "{vq:<queue>}" (hash-tagged,
-- so every key of a queue is in one cluster slot); ARGV[1] the caller's lease TTL in ms,
-- ARGV[2] the limit a queue without one starts with. Time is the server's only.
local q = KEYS[1]
local ttl = tonumber(ARGV[1])
local seed_limit = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local function key(name)
  return q .. ':' .. name
end

-- A restart or a stall: nobody is admitted for one TTL, and the leases and heartbeats of those
-- who were there run from now, so that every live keeper renews (or re-registers) before
-- anyone new gets a permit. A lease that ran out while the server could not hear its keeper
-- is not the keeper's fault.
local function start_grace()
  redis.call('SET', key('grace'), now + ttl)
  redis.call('SET', key('grace_from'), now)
  for _, set in ipairs({ 'holders', 'waiters' }) do
    for _, member in ipairs(redis.call('ZRANGE', key(set), 0, -1)) do
      redis.call('ZADD', key(set), 'XX', now + ttl, member)
    end
  end
end

-- Live keepers renew every TTL/3 and waiters beat as often, so with holders a script runs at
-- least that often. A longer gap is a stall or an outage (SIGSTOP, swapping, a partition of the
-- server) that the holders could not renew through; half a TTL is above the renewal period and
-- below the two thirds of a lease a holder has left at worst when its renewal falls due.
local function stalled()
  local last = tonumber(redis.call('GET', key('last')))
  redis.call('SET', key('last'), now)
  if not last or now - last <= ttl / 2 then
    return false
  end
  return redis.call('ZCARD', key('holders')) > 0
end

-- The server's run_id changes at every start. The epoch key alone does not tell a restart:
-- a server with save points and no appendonly loads an old dump.rdb that has it, with the
-- counters of then.
local function server_run_id()
  return string.match(redis.call('INFO', 'server'), 'run_id:(%w+)') or ''
end

-- A missing epoch or another run_id means a fresh server or a restarted one (empty or from an
-- old dump): a new epoch, in which the holders and waiters of the old one re-register.
local checked_epoch = nil
local function current_epoch()
  if checked_epoch then
    return checked_epoch
  end
  local run_id = server_run_id()
  local epoch = redis.call('GET', key('epoch'))
  if epoch and redis.call('GET', key('run_id')) == run_id then
    if stalled() then
      start_grace()
    end
    checked_epoch = epoch
    return epoch
  end
  epoch = clock[1] .. '.' .. clock[2]
  redis.call('SET', key('epoch'), epoch)
  redis.call('SET', key('run_id'), run_id)
  redis.call('SET', key('last'), now)
  start_grace()
  -- Tickets and tokens of an epoch start at ten per millisecond of server time, above any an
  -- earlier epoch handed out (unless it averaged ten a millisecond): waiters and holders that
  -- come back keep their numbers, unique, and returning waiters stay ahead of newcomers. Kept
  -- below 1e14, so Lua's %.14g prints them whole.
  for _, counter in ipairs({ 'tickets', 'tokens' }) do
    if (tonumber(redis.call('GET', key(counter))) or 0) < now * 10 then
      redis.call('SET', key(counter), now * 10)
    end
  end
  checked_epoch = epoch
  return epoch
end

local function in_grace()
  return now < (tonumber(redis.call('GET', key('grace'))) or 0)
end

-- The grace period was sized by whoever called first after the restart; a keeper with a longer
-- TTL renews less often, and so may its peers: a registrant stretches the grace to one of its
-- own TTLs from the grace's start.
local function stretch_grace()
  local from = tonumber(redis.call('GET', key('grace_from'))) or now
  if (tonumber(redis.call('GET', key('grace'))) or 0) < from + ttl then
    redis.call('SET', key('grace'), from + ttl)
  end
end

local function limit()
  local value = redis.call('GET', key('limit'))
  if value then
    return tonumber(value)
  end
  redis.call('SET', key('limit'), seed_limit)
  return seed_limit
end

-- A holder's grant ("<token> <epoch>" under granted:<ticket>) lives as long as it does: the
-- wake list is only a wake-up, and a waiter that lost the BLPOP's reply (a partition, a
-- timeout) learns its permit from the next heartbeat.
local function drop_holder(token)
  local ticket = redis.call('HGET', key('holder:' .. token), 'ticket')
  if ticket then
    redis.call('DEL', key('granted:' .. ticket))
  end
  redis.call('ZREM', key('holders'), token)
  redis.call('DEL', key('holder:' .. token))
end

-- Holders whose lease ran out (a dead host, a stopped keeper) lose their permit; waiters whose
-- heartbeat stopped leave the line. Whoever runs a script next does it.
local function reclaim()
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', key('holders'), '-inf', now)) do
    drop_holder(token)
    redis.call('INCR', key('lost'))
  end
  for _, ticket in ipairs(redis.call('ZRANGEBYSCORE', key('waiters'), '-inf', now)) do
    redis.call('ZREM', key('waiters'), ticket)
    redis.call('DEL', key('waiter:' .. ticket), key('wake:' .. ticket))
  end
end

-- core/turn_order's levels with the age bonus (one level per half of the age bound, up to
-- high; none for high and urgent), then the ticket. Fair turns between agents are not applied.
local function line()
  local entries = {}
  for _, ticket in ipairs(redis.call('ZRANGE', key('waiters'), 0, -1)) do
    local f = redis.call('HMGET', key('waiter:' .. ticket), 'priority', 'age_bound', 'since')
    local level = tonumber(f[1]) or 1
    local bound = tonumber(f[2]) or 0
    if level < 2 and bound > 0 then
      level = math.min(2, level + math.floor((now - (tonumber(f[3]) or now)) * 2 / bound))
    end
    entries[#entries + 1] = { ticket = tonumber(ticket), level = level }
  end
  table.sort(entries, function(a, b)
    if a.level ~= b.level then
      return a.level > b.level
    end
    return a.ticket < b.ticket
  end)
  return entries
end

-- How many permits runs of `agent` hold, for VQ_PER_AGENT's cap across hosts.
local function holders_of(agent)
  local count = 0
  for _, token in ipairs(redis.call('ZRANGE', key('holders'), 0, -1)) do
    if redis.call('HGET', key('holder:' .. token), 'agent') == agent then
      count = count + 1
    end
  end
  return count
end

-- Moves waiters from the head of the line to the holders while there is room, and hands each
-- its permit ("<token> <epoch>") through its own wake list, where it is blocked in BLPOP.
local function admit()
  local epoch = current_epoch()
  if in_grace() then
    return
  end
  local room = limit() - redis.call('ZCARD', key('holders'))
  for _, entry in ipairs(line()) do
    if room <= 0 then
      break
    end
    local w = key('waiter:' .. entry.ticket)
    -- A waiter whose agent is at its cap is passed over; the next in line may go.
    local cap = tonumber(redis.call('HGET', w, 'per_agent')) or 0
    if cap <= 0 or holders_of(redis.call('HGET', w, 'agent')) < cap then
      local member = redis.call('HGETALL', w)
      local lease = tonumber(redis.call('HGET', w, 'ttl')) or ttl
      local token = redis.call('INCR', key('tokens'))
      local h = key('holder:' .. token)
      redis.call('HSET', h, unpack(member))
      redis.call('HSET', h, 'ticket', entry.ticket, 'token', token, 'since', now)
      redis.call('ZADD', key('holders'), now + lease, token)
      redis.call('ZREM', key('waiters'), entry.ticket)
      redis.call('DEL', w)
      redis.call('SET', key('granted:' .. entry.ticket), token .. ' ' .. epoch)
      redis.call('LPUSH', key('wake:' .. entry.ticket), token .. ' ' .. epoch)
      redis.call('PEXPIRE', key('wake:' .. entry.ticket), lease * 2)
      room = room - 1
    end
  end
end

-- After a restart the counters are gone: keep new tickets and tokens above re-registered ones.
local function raise_counter(name, value)
  if (tonumber(redis.call('GET', key(name))) or 0) < value then
    redis.call('SET', key(name), value)
  end
end

local function member_fields(first)
  return 'host', ARGV[first], 'agent', ARGV[first + 1], 'command', ARGV[first + 2],
    'pid', ARGV[first + 3], 'priority', ARGV[first + 4], 'age_bound', ARGV[first + 5],
    'per_agent', ARGV[first + 6]
end

