import { type LuaLibrary, readLuaFile } from './lua-script.js';

function library(file: string): LuaLibrary {
  return { text: readLuaFile(new URL(`./lua/lib/${file}`, import.meta.url)) };
}

/** The Lua functions scripts share (src/lua/lib): a script lists those it uses. */
export const luaLibraries = {
  /** `redis_now_ms()` */
  redisTime: library('redis-time.lua'),
  /** `limiter_free`, `limiter_take`, `limiter_release`: call limits shared by every worker. */
  limiter: library('limiter.lua'),
  /** `schedule_due`: a target's due set and the channel that wakes its pollers. */
  dueSet: library('due-set.lua'),
  /** `json_with_fields` */
  json: library('json.lua'),
  /** `hash_fields` */
  hash: library('hash.lua'),
  /** `attempts_with_ended`, `json_with_raw_field`: a retried request's attempts (needs redisTime, json, hash). */
  attempts: library('attempts.lua'),
};
