/**
 * Lua that schedules a member of a target's due set at `score` and, when that makes it due sooner than
 * anything the set held (or the set was empty), publishes the target's name on the deployment's due
 * channel: pollers sleep until their set's head is due, and only a new, earlier head needs to wake them.
 * A PUBLISH from a script reaches subscribers on every node of a Redis Cluster. Each argument is a Lua
 * expression; the snippet declares `dueHead`, so a script uses it once.
 */
export function scheduleDueLua(names: {
  due: string;
  score: string;
  member: string;
  channel: string;
  target: string;
}): string {
  return `
local dueHead = redis.call('ZRANGE', ${names.due}, 0, 0, 'WITHSCORES')
redis.call('ZADD', ${names.due}, ${names.score}, ${names.member})
if #dueHead == 0 or tonumber(${names.score}) < tonumber(dueHead[2]) then
  redis.call('PUBLISH', ${names.channel}, ${names.target})
end`;
}
