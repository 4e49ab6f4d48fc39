-- Reserves every charge or none.
-- KEYS: exp, r:<id>, then n counters, then their n key indexes.
-- ARGV: prefix, now ms, expires-at ms, id, keep ms (how long an expired reservation is remembered), then per
--       counter: limit tokens (-1: none), limit nanos (-1: none), tokens, nanos, counter expire-at (s), key.
-- Returns: 1 if reserved or -i if counter i did not fit, then ut, rt, un, rn of every counter.
local n = (#KEYS - 2) / 2
expire(KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[5])
local verdict = 1
local states = {}
for i = 1, n do
  local a = 5 + (i - 1) * 6
  local v = redis.call('HMGET', KEYS[2 + i], 'ut', 'rt', 'un', 'rn')
  local ut, rt, un, rn = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0
  local limitTokens, limitNanos = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  if verdict == 1 and ((limitTokens >= 0 and ut + rt + tonumber(ARGV[a + 3]) > limitTokens)
      or (limitNanos >= 0 and un + rn + tonumber(ARGV[a + 4]) > limitNanos)) then
    verdict = -i
  end
  states[i] = {ut, rt, un, rn}
end
if verdict == 1 then
  for i = 1, n do
    local a = 5 + (i - 1) * 6
    local counter = KEYS[2 + i]
    states[i][2] = redis.call('HINCRBY', counter, 'rt', ARGV[a + 3])
    states[i][4] = redis.call('HINCRBY', counter, 'rn', ARGV[a + 4])
    redis.call('EXPIREAT', counter, ARGV[a + 5])
    redis.call('SADD', KEYS[2 + n + i], ARGV[a + 6])
    redis.call('EXPIREAT', KEYS[2 + n + i], ARGV[a + 5])
    redis.call('HSET', KEYS[2], counter, ARGV[a + 3] .. ' ' .. ARGV[a + 4])
  end
  redis.call('HSET', KEYS[2], '~state', 'held')
  redis.call('PEXPIREAT', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[5]))
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
end
local out = {verdict}
for i = 1, n do
  for j = 1, 4 do
    out[#out + 1] = states[i][j]
  end
end
return out
