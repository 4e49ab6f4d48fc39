-- Sets a counter's usage to zero, keeping what live reservations hold. KEYS: the counter. Returns 1, or 0 if absent.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'ut', 0, 'un', 0)
return 1
