-- Every counter of some budgets in their current windows.
-- KEYS: exp, then one key index per budget. ARGV: prefix, now ms, keep ms, charge expired ('1' or '0'), then per
-- budget its counter key prefix.
-- Returns: how many reservations expired, then for each counter the budget's position (1-based), the key, then ut,
-- rt, un, rn.
local out = {expire(KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4])}
for b = 2, #KEYS do
  local counterPrefix = ARGV[3 + b]
  for _, key in ipairs(redis.call('SMEMBERS', KEYS[b])) do
    out[#out + 1] = b - 1
    out[#out + 1] = key
    state(counterPrefix .. key, out)
  end
end
return out
