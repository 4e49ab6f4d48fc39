-- Replaces a reservation with the usage that happened; idempotent per id.
-- KEYS: exp, r:<id>, then n counters, then their n key indexes.
-- ARGV: id, reserved (1: the id was reserved here, 0: admitted while the store was down), keep ms, then per
--       counter: tokens, nanos, counter expire-at (s), key.
-- Returns: ut, rt, un, rn of every counter.
local n = (#KEYS - 2) / 2
local st = redis.call('HGET', KEYS[2], '~state')
local apply = false
if st == 'held' then
  release(KEYS[2])
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
elseif not st and ARGV[2] == '0' then
  redis.call('HSET', KEYS[2], '~state', 'settled')
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  apply = true
end
-- Otherwise the id was settled before (a replay of a settlement whose answer was lost): nothing to add. A
-- reserved id that is gone was settled: its hash is deleted then, so normal traffic leaves no markers behind.
local out = {}
for i = 1, n do
  local a = 3 + (i - 1) * 4
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
return out
