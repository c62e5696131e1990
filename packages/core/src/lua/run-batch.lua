-- Runs many calls of the scripts in `steps` (each script as a function of its own KEYS and ARGV, put before
-- this text when the batch is assembled), each its own atomic step, in order.
-- ARGV: number of calls, then per call: script index, key count, argument count, its arguments.
-- KEYS: each call's keys in turn.
-- Returns per call {1, result} or {0, error message}: one call's error does not undo or stop the others.
local callCount = tonumber(ARGV[1])

local results = {}
local nextKey, nextArg = 1, 2
for call = 1, callCount do
  local step = steps[tonumber(ARGV[nextArg])]
  local keyCount, argCount = tonumber(ARGV[nextArg + 1]), tonumber(ARGV[nextArg + 2])
  nextArg = nextArg + 3
  local keys, argv = {}, {}
  for i = 1, keyCount do keys[i] = KEYS[nextKey]; nextKey = nextKey + 1 end
  for i = 1, argCount do argv[i] = ARGV[nextArg]; nextArg = nextArg + 1 end
  local ok, result = pcall(step, keys, argv)
  if ok then
    results[call] = {1, result}
  else
    if type(result) == 'table' then result = result.err end
    results[call] = {0, tostring(result)}
  end
end
return results
