-- KEYS: counters. Returns ut, rt, un, rn of each.
local out = {}
for i = 1, #KEYS do
  state(KEYS[i], out)
end
return out
