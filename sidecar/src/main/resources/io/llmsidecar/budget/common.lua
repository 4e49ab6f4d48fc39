-- Shared by every budget script: each script is this file followed by its own body.
--
-- Data model (P is budget-store.key-prefix, with a {hash tag} so all keys share one Cluster slot):
--   P c:<budget>:<window start>:<key>  hash  ut/un: used tokens/nano-USD, rt/rn: held by live reservations
--   P i:<budget>:<window start>        set   the keys that have a counter in that window (for the admin API)
--   P r:<id>                           hash  one reservation: '~state' = held | expired | charged | settled, and
--                                            for each counter key the "tokens nanos" it holds; a settled id is
--                                            kept (keep ms) so that a reserve under it that runs late does nothing
--   P exp                              zset  held reservation ids scored by expiry (ms since the epoch)
--   P rl:<limit>:<key>:<unit>          hash  a rate-limit token bucket: t = tokens left (below zero once a
--                                            completion overdrew it), ts = ms of Redis' clock when t was computed
-- Amounts stay below 2^53, so Lua's doubles are exact; HINCRBY keeps the stored values as integers.

-- Calls fn(counter, tokens, nanos) for every counter a reservation holds.
local function each_held(res, fn)
  local fields = redis.call('HGETALL', res)
  for i = 1, #fields, 2 do
    local counter = fields[i]
    if string.sub(counter, 1, 1) ~= '~' and redis.call('EXISTS', counter) == 1 then
      local amounts = fields[i + 1]
      local space = string.find(amounts, ' ', 1, true)
      fn(counter, tonumber(string.sub(amounts, 1, space - 1)), tonumber(string.sub(amounts, space + 1)))
    end
  end
end

-- Frees what a reservation holds; with charge, bills it as used instead.
local function release(res, charge)
  each_held(res, function(counter, tokens, nanos)
    -- 0 - x, not -x: Lua's -0 would reach HINCRBY as "-0", which it refuses.
    redis.call('HINCRBY', counter, 'rt', 0 - tokens)
    redis.call('HINCRBY', counter, 'rn', 0 - nanos)
    if charge then
      redis.call('HINCRBY', counter, 'ut', tokens)
      redis.call('HINCRBY', counter, 'un', nanos)
    end
  end)
end

-- Takes back the charge of an expired reservation, so that its late settlement bills the real usage instead.
local function uncharge(res)
  each_held(res, function(counter, tokens, nanos)
    redis.call('HINCRBY', counter, 'ut', 0 - tokens)
    redis.call('HINCRBY', counter, 'un', 0 - nanos)
  end)
end

-- Ends reservations past their expiry (their sidecar died or lost its way): with charge ('1') what they held is
-- billed as used, because the gateway may have served the request; otherwise it is freed. Each reservation carries
-- the choice of the sidecar that took it ('~charge'), so replicas (or the CLI) configured differently still end it as
-- its owner would have; the caller's choice applies to reservations from before that field existed. A bounded batch per call
-- keeps the script short. The reservation is remembered, so a late settlement replaces the charge with the real
-- usage (or adds it) and frees nothing twice. Returns how many expired.
local function expire(exp, prefix, now, keep, charge)
  local ids = redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, 64)
  local expired = 0
  for _, id in ipairs(ids) do
    local res = prefix .. 'r:' .. id
    if redis.call('HGET', res, '~state') == 'held' then
      local mode = redis.call('HGET', res, '~charge') or charge
      release(res, mode == '1')
      redis.call('HSET', res, '~state', mode == '1' and 'charged' or 'expired')
      redis.call('PEXPIRE', res, keep)
      expired = expired + 1
    end
    redis.call('ZREM', exp, id)
  end
  return expired
end

local function state(counter, out)
  local v = redis.call('HMGET', counter, 'ut', 'rt', 'un', 'rn')
  for i = 1, 4 do
    out[#out + 1] = tonumber(v[i]) or 0
  end
end

-- Redis' own clock in ms: every replica's buckets refill on the same clock, whatever the pods' clocks say.
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The tokens a bucket of capacity per minute holds at now (full when it does not exist).
local function bucket(key, capacity, now)
  local v = redis.call('HMGET', key, 't', 'ts')
  local tokens, ts = tonumber(v[1]), tonumber(v[2])
  if not tokens or not ts then
    return capacity
  end
  local elapsed = math.max(0, now - ts)
  return math.min(capacity, tokens + elapsed * capacity / 60000)
end

-- Stores a bucket's tokens; it expires once it would be full again, so idle keys cost Redis nothing.
local function put_bucket(key, capacity, tokens, now)
  redis.call('HSET', key, 't', string.format('%.6f', tokens), 'ts', now)
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) * 60000 / capacity) + 10000)
end
