-- Stores new requests (and their batch) in one step: one command for a whole batch instead of two per
-- request. A record holds the spec without its body; the queue job carries that.
local batchFields = ARGV[1] -- JSON object of the batch hash's fields; '' without a batch
local batchTtlSeconds = tonumber(ARGV[2])
local requests = cjson.decode(ARGV[3]) -- per request, in the order of their keys: {id, spec JSON, TTL s}
-- KEYS: the batch and its request list (only with a batch), then each request.
local hasBatch = batchFields ~= ''
local batchKey, batchRequestsKey = KEYS[1], KEYS[2]
local firstRequestKey = hasBatch and 3 or 1

if hasBatch then
  for name, value in pairs(cjson.decode(batchFields)) do redis.call('HSET', batchKey, name, value) end
  redis.call('EXPIRE', batchKey, batchTtlSeconds)
end
local ids = {}
for index, request in ipairs(requests) do
  local requestKey = KEYS[firstRequestKey + index - 1]
  redis.call('HSET', requestKey, 'spec', request[2], 'status', 'queued', 'polls', 0, 'submitAttempts', 0)
  redis.call('EXPIRE', requestKey, request[3])
  table.insert(ids, request[1])
  -- In chunks: unpack() of a whole batch of 10,000 would overflow Lua's stack.
  if hasBatch and (#ids == 1000 or index == #requests) then
    redis.call('RPUSH', batchRequestsKey, unpack(ids))
    ids = {}
  end
end
if hasBatch then redis.call('EXPIRE', batchRequestsKey, batchTtlSeconds) end
return #requests
