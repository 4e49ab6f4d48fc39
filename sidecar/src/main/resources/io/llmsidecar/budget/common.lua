-- Shared by every budget script: each script is this file followed by its own body.
--
-- Data model (P is budget-store.key-prefix, with a {hash tag} so all keys share one Cluster slot):
--   P c:<budget>:<window start>:<key>  hash  ut/un: used tokens/nano-USD, rt/rn: held by live reservations
--   P i:<budget>:<window start>        set   the keys that have a counter in that window (for the admin API)
--   P r:<id>                           hash  one reservation: '~state' = held | expired | settled, and for each
--                                            counter key the "tokens nanos" it holds
--   P exp                              zset  held reservation ids scored by expiry (ms since the epoch)
-- Amounts stay below 2^53, so Lua's doubles are exact; HINCRBY keeps the stored values as integers.

local function release(res)
  local fields = redis.call('HGETALL', res)
  for i = 1, #fields, 2 do
    local counter = fields[i]
    if string.sub(counter, 1, 1) ~= '~' and redis.call('EXISTS', counter) == 1 then
      local amounts = fields[i + 1]
      local space = string.find(amounts, ' ', 1, true)
      -- 0 - x, not -x: Lua's -0 would reach HINCRBY as "-0", which it refuses.
      redis.call('HINCRBY', counter, 'rt', 0 - tonumber(string.sub(amounts, 1, space - 1)))
      redis.call('HINCRBY', counter, 'rn', 0 - tonumber(string.sub(amounts, space + 1)))
    end
  end
end

-- Releases reservations past their expiry (their sidecar died or lost its way); a bounded batch per call keeps the
-- script short. The reservation stays as 'expired' so a late settlement adds its usage but frees nothing twice.
local function expire(exp, prefix, now, keep)
  local ids = redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, 64)
  for _, id in ipairs(ids) do
    local res = prefix .. 'r:' .. id
    if redis.call('HGET', res, '~state') == 'held' then
      release(res)
      redis.call('HSET', res, '~state', 'expired')
      redis.call('PEXPIRE', res, keep)
    end
    redis.call('ZREM', exp, id)
  end
end

local function state(counter, out)
  local v = redis.call('HMGET', counter, 'ut', 'rt', 'un', 'rn')
  for i = 1, 4 do
    out[#out + 1] = tonumber(v[i]) or 0
  end
end
