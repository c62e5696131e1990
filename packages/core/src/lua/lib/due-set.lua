-- Schedules a member of a target's due set at `score` and, when that makes it due sooner than anything the
-- set held (or the set was empty), publishes the target's name on the deployment's due channel: pollers
-- sleep until their set's head is due, and only a new, earlier head needs to wake them. A PUBLISH from a
-- script reaches subscribers on every node of a Redis Cluster.
local function schedule_due(dueKey, score, member, channel, target)
  local head = redis.call('ZRANGE', dueKey, 0, 0, 'WITHSCORES')
  redis.call('ZADD', dueKey, score, member)
  if #head == 0 or score < tonumber(head[2]) then redis.call('PUBLISH', channel, target) end
end
