-- Replaces a reservation with the usage that happened, and takes the completion from token rate limits; idempotent
-- per id.
-- KEYS: exp, r:<id>, then n counters, then their n key indexes, then m token buckets.
-- ARGV: id, reserved (1: the id was reserved here, 0: admitted while the store was down), keep ms, n, then per
--       counter: tokens, nanos, counter expire-at (s), key; then per bucket: capacity per minute, completion tokens.
-- Returns: ut, rt, un, rn of every counter.
local n = tonumber(ARGV[4])
local m = #KEYS - 2 - 2 * n
local st = n > 0 and redis.call('HGET', KEYS[2], '~state') or nil
local apply = false
if st == 'held' then
  release(KEYS[2], false)
  redis.call('ZREM', KEYS[1], ARGV[1])
  if ARGV[2] == '1' then
    redis.call('DEL', KEYS[2])
  else
    -- The caller took its reservation for failed (a timeout that still ran): remember, since it will not know.
    redis.call('HSET', KEYS[2], '~state', 'settled')
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
  end
  apply = true
elseif st == 'expired' then
  redis.call('HSET', KEYS[2], '~state', 'settled')
  apply = true
elseif st == 'charged' then
  -- Expired and billed what it held; the real usage replaces that charge.
  uncharge(KEYS[2])
  redis.call('HSET', KEYS[2], '~state', 'settled')
  apply = true
elseif not st and ARGV[2] == '0' then
  redis.call('HSET', KEYS[2], '~state', 'settled')
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  apply = true
end
-- Otherwise the id was settled before (a replay of a settlement whose answer was lost): nothing to add. A
-- reserved id that is gone was settled: its hash is deleted then, so normal traffic leaves no markers behind.
local out = {}
for i = 1, n do
  local a = 4 + (i - 1) * 4
  local counter = KEYS[2 + i]
  if apply then
    redis.call('HINCRBY', counter, 'ut', ARGV[a + 1])
    redis.call('HINCRBY', counter, 'un', ARGV[a + 2])
    redis.call('EXPIREAT', counter, ARGV[a + 3])
    redis.call('SADD', KEYS[2 + n + i], ARGV[a + 4])
    redis.call('EXPIREAT', KEYS[2 + n + i], ARGV[a + 3])
  end
  state(counter, out)
end
if m > 0 then
  local now = clock()
  for j = 1, m do
    local a = 4 + n * 4 + (j - 1) * 2
    local capacity = tonumber(ARGV[a + 1])
    local key = KEYS[2 + 2 * n + j]
    -- Taken even past the limit: the next requests wait until the minute has paid for this completion.
    put_bucket(key, capacity, bucket(key, capacity, now) - tonumber(ARGV[a + 2]), now)
  end
end
return out
