import type { RedisConnection } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { LuaScript, type ScriptArgument } from './lua-script.js';

/** Most script calls sent together: bounds how long one batch keeps Redis busy. */
const defaultMaxCalls = 100;

const batchReplySchema = z.array(z.array(z.unknown()));

interface PendingCall {
  readonly index: number;
  readonly keys: readonly string[];
  readonly args: readonly ScriptArgument[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * Runs a fixed set of Lua scripts through one channel per process. A call made while another batch is in
 * flight waits for it and then goes with every call that queued meanwhile, as one script: one command for
 * many, each call still its own atomic step, in the order they were made. An idle process sends each call
 * at once; under load the commands per call fall as the load grows, with no timer and no added wait beyond
 * the batch ahead.
 */
export class ScriptBatcher {
  readonly #redis: RedisConnection;
  readonly #indexOf: ReadonlyMap<LuaScript, number>;
  readonly #batch: LuaScript;
  readonly #maxCalls: number;
  #queue: PendingCall[] = [];
  #flushing = false;

  constructor(redis: RedisConnection, scripts: readonly LuaScript[], maxCalls = defaultMaxCalls) {
    this.#redis = redis;
    this.#indexOf = new Map(scripts.map((script, index) => [script, index + 1]));
    this.#batch = new LuaScript(batchSource(scripts));
    this.#maxCalls = maxCalls;
  }

  /** Runs `script` with its keys and arguments; answers what the script returned, or its error. */
  run(script: LuaScript, keys: readonly string[], args: readonly ScriptArgument[]): Promise<unknown> {
    const index = this.#indexOf.get(script);
    if (index === undefined) return Promise.reject(new Error('script not registered with this batcher'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ index, keys, args, resolve, reject });
      if (this.#flushing) return;
      this.#flushing = true;
      // Calls made in the same tick go in the first batch too.
      queueMicrotask(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0) {
      const calls = this.#queue.splice(0, this.#maxCalls);
      // One script's keys must share a slot on a Redis Cluster: a deployment's keys all do (hash-tagged prefix).
      const keys: string[] = [];
      const args: ScriptArgument[] = [calls.length];
      for (const call of calls) {
        keys.push(...call.keys);
        args.push(call.index, call.keys.length, call.args.length, ...call.args);
      }
      try {
        const results = batchReplySchema.parse(await this.#batch.run(this.#redis, keys, args));
        for (const [position, call] of calls.entries()) settle(call, results[position]);
      } catch (error) {
        // Redis did not answer (or answered nonsense): the calls queued behind would meet the same fate
        // one timeout later, so they fail now with the same error.
        for (const call of [...calls, ...this.#queue.splice(0)]) call.reject(error);
      }
    }
    this.#flushing = false;
  }
}

function settle(call: PendingCall, result: unknown[] | undefined): void {
  if (result?.[0] === 1) call.resolve(result[1]);
  else call.reject(new Error(`script failed in Redis: ${String(result?.[1] ?? 'no reply')}`));
}

/**
 * One script holding each script as a function of its own KEYS and ARGV. ARGV: number of calls, then per
 * call: script index, key count, argument count, its arguments; KEYS: each call's keys in turn. Returns per
 * call { 1, result } or { 0, error message }: one call's error does not undo or stop the others.
 */
function batchSource(scripts: readonly LuaScript[]): string {
  const functions = scripts
    .map((script, index) => `steps[${index + 1}] = function(KEYS, ARGV)\n${script.source}\nend`)
    .join('\n');
  return `
local steps = {}
${functions}
local results = {}
local nextKey, nextArg = 1, 2
for call = 1, tonumber(ARGV[1]) do
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
`;
}
