-- Stores new requests (and their batch) in one step: one command for a whole batch instead of two per
-- request. A record holds the spec without its body; the body is kept apart (for retries) and travels in
-- the queue job. A retry is linked to its original here too, so that the link exists exactly when it does.
-- A request with dependencies is stored `waiting`, counting the dependencies it waits on, and put in the
-- dependants list of each (the batch's requests are all stored here, so none of them has completed yet).
local batchFields = ARGV[1] -- JSON object of the batch hash's fields; '' without a batch
local batchTtlSeconds = tonumber(ARGV[2])
-- per request, in the order of their keys: {id, spec JSON, TTL s, body JSON or '', retries this one or '',
-- ids of the requests it depends on (an array, maybe empty), '1' when it proceeds on warning else ''}
local requests = cjson.decode(ARGV[3])
local requestKeyPrefix = ARGV[4] -- dependants lists are built from it (same hash slot: the prefix is a hash tag)
-- KEYS: the batch and its request list (only with a batch), then each request, then each request's body
-- key, then for each retry (a request whose 5th field is set), in order, its original's record and retries.
local hasBatch = batchFields ~= ''
local batchKey, batchRequestsKey = KEYS[1], KEYS[2]
local firstRequestKey = hasBatch and 3 or 1
local nextOriginalKey = firstRequestKey + 2 * #requests

if hasBatch then
  for name, value in pairs(cjson.decode(batchFields)) do redis.call('HSET', batchKey, name, value) end
  redis.call('EXPIRE', batchKey, batchTtlSeconds)
end
local ids = {}
for index, request in ipairs(requests) do
  local requestKey = KEYS[firstRequestKey + index - 1]
  local dependsOn = request[6]
  if #dependsOn == 0 then
    redis.call('HSET', requestKey, 'spec', request[2], 'status', 'queued', 'polls', 0, 'submitAttempts', 0)
  else
    redis.call('HSET', requestKey, 'spec', request[2], 'status', 'waiting', 'waitingOn', #dependsOn,
      'polls', 0, 'submitAttempts', 0)
    if request[7] == '1' then redis.call('HSET', requestKey, 'proceedOnWarning', '1') end
    for _, dependencyId in ipairs(dependsOn) do
      local dependantsKey = requestKeyPrefix .. dependencyId .. ':dependants'
      redis.call('RPUSH', dependantsKey, request[1])
      redis.call('EXPIRE', dependantsKey, batchTtlSeconds)
    end
  end
  redis.call('EXPIRE', requestKey, request[3])
  -- Always written ('' for no body), so that a missing key tells a record made before bodies were kept.
  redis.call('SET', KEYS[firstRequestKey + #requests + index - 1], request[4], 'EX', request[3])
  if request[5] ~= '' then
    local originalKey, retriesKey = KEYS[nextOriginalKey], KEYS[nextOriginalKey + 1]
    nextOriginalKey = nextOriginalKey + 2
    -- The list lives as long as the original's record; an original already gone gets no list.
    local ttl = redis.call('PTTL', originalKey)
    if ttl > 0 then
      redis.call('RPUSH', retriesKey, request[1])
      redis.call('PEXPIRE', retriesKey, ttl)
    end
  end
  table.insert(ids, request[1])
  -- In chunks: unpack() of a whole batch of 10,000 would overflow Lua's stack.
  if hasBatch and (#ids == 1000 or index == #requests) then
    redis.call('RPUSH', batchRequestsKey, unpack(ids))
    ids = {}
  end
end
if hasBatch then redis.call('EXPIRE', batchRequestsKey, batchTtlSeconds) end
return #requests
