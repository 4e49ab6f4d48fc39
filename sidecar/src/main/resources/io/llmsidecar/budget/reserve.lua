-- Admits a request in one call: rate limits first, then every budget charge or none.
-- KEYS: exp, r:<id>, then n counters, then their n key indexes, then m rate-limit buckets.
-- ARGV: prefix, now ms, expires-at ms, id, keep ms (how long an ended reservation is remembered), charge expired
--       ('1' or '0'), n, deadline (ms on Redis' clock), then per counter: limit tokens (-1: none), limit nanos (-1:
--       none), tokens, nanos, counter expire-at (s), key; then per bucket: capacity per minute, amount to take.
-- Returns: verdict (1 reserved, 2 budget exceeded, 3 rate limited, 4 past its deadline, 5 id known), the index
--          (1-based) of the counter or bucket that refused, how many reservations expired, ms until the refusing
--          bucket has room, Redis' clock (ms), then ut, rt, un, rn of every counter.
local n = tonumber(ARGV[7])
local m = #KEYS - 2 - 2 * n
local now = clock()
-- A call that runs after its deadline was given up by its sidecar (Redis hung, or the network held it back), and
-- an id seen before is a copy of a command that ran already, or one its sidecar has cancelled: either would hold
-- budget for no request, which expiry would then charge. Nothing is written.
local late = 0
if now > tonumber(ARGV[8]) then
  late = 4
elseif redis.call('EXISTS', KEYS[2]) == 1 then
  late = 5
end
if late > 0 then
  local out = {late, 0, 0, 0, now}
  for i = 1, n do
    state(KEYS[2 + i], out)
  end
  return out
end
local expired = expire(KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[5], ARGV[6])
local verdict, index, wait = 1, 0, 0
local buckets = {}
if m > 0 then
  for j = 1, m do
    local a = 8 + n * 6 + (j - 1) * 2
    local capacity, amount = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    local tokens = bucket(KEYS[2 + 2 * n + j], capacity, now)
    if verdict == 1 and tokens < amount then
      verdict, index = 3, j
      wait = math.ceil((amount - tokens) * 60000 / capacity)
    end
    buckets[j] = {capacity, tokens - amount}
  end
  if verdict == 1 then
    for j = 1, m do
      put_bucket(KEYS[2 + 2 * n + j], buckets[j][1], buckets[j][2], now)
    end
  end
end
local states = {}
for i = 1, n do
  local a = 8 + (i - 1) * 6
  local v = redis.call('HMGET', KEYS[2 + i], 'ut', 'rt', 'un', 'rn')
  local ut, rt, un, rn = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0, tonumber(v[4]) or 0
  local limitTokens, limitNanos = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  if verdict == 1 and ((limitTokens >= 0 and ut + rt + tonumber(ARGV[a + 3]) > limitTokens)
      or (limitNanos >= 0 and un + rn + tonumber(ARGV[a + 4]) > limitNanos)) then
    verdict, index = 2, i
  end
  states[i] = {ut, rt, un, rn}
end
if verdict == 1 and n > 0 then
  for i = 1, n do
    local a = 8 + (i - 1) * 6
    local counter = KEYS[2 + i]
    states[i][2] = redis.call('HINCRBY', counter, 'rt', ARGV[a + 3])
    states[i][4] = redis.call('HINCRBY', counter, 'rn', ARGV[a + 4])
    redis.call('EXPIREAT', counter, ARGV[a + 5])
    redis.call('SADD', KEYS[2 + n + i], ARGV[a + 6])
    redis.call('EXPIREAT', KEYS[2 + n + i], ARGV[a + 5])
    redis.call('HSET', KEYS[2], counter, ARGV[a + 3] .. ' ' .. ARGV[a + 4])
  end
  redis.call('HSET', KEYS[2], '~state', 'held', '~charge', ARGV[6])
  redis.call('PEXPIREAT', KEYS[2], tonumber(ARGV[3]) + tonumber(ARGV[5]))
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
end
local out = {verdict, index, expired, wait, now}
for i = 1, n do
  for j = 1, 4 do
    out[#out + 1] = states[i][j]
  end
end
return out
