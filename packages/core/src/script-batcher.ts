import type { RedisConnection } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import {
  type AnyLuaScript,
  assembleLua,
  LuaScript,
  readLuaFile,
  type ScriptArgument,
  type ScriptCall,
} from './lua-script.js';

/** Most script calls sent together: bounds how long one batch keeps Redis busy. */
const defaultMaxCalls = 100;

const batchReplySchema = z.array(z.array(z.unknown()));

interface PendingCall {
  readonly script: AnyLuaScript;
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
  readonly #indexOf: ReadonlyMap<AnyLuaScript, number>;
  readonly #batch: LuaScript<never, never, never, unknown[][]>;
  readonly #maxCalls: number;
  #queue: PendingCall[] = [];
  #flushing = false;

  constructor(redis: RedisConnection, scripts: readonly AnyLuaScript[], maxCalls = defaultMaxCalls) {
    this.#redis = redis;
    this.#indexOf = new Map(scripts.map((script, index) => [script, index + 1]));
    this.#batch = new LuaScript({ body: batchSource(scripts), keys: [], args: [], reply: batchReplySchema });
    this.#maxCalls = maxCalls;
  }

  /** Runs `script` with its keys and arguments; answers what the script returned, decoded, or its error. */
  run<Key extends string, OptionalKey extends string, Arg extends string, Reply>(
    script: LuaScript<Key, OptionalKey, Arg, Reply>,
    call: ScriptCall<Key, OptionalKey, Arg>,
  ): Promise<Reply> {
    const index = this.#indexOf.get(script);
    if (index === undefined) return Promise.reject(new Error('script not registered with this batcher'));
    const { keys, args } = script.positional(call);
    return new Promise((resolve, reject) => {
      this.#queue.push({
        script,
        index,
        keys,
        args,
        resolve: (reply) => {
          try {
            resolve(script.decode(reply));
          } catch (error) {
            reject(error);
          }
        },
        reject,
      });
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
        const results = await this.#batch.run(this.#redis, {
          keys: {},
          keyList: keys,
          args: {},
          argList: args,
        });
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

const runBatchLua = readLuaFile(new URL('./lua/run-batch.lua', import.meta.url));

/**
 * One script holding each script as a function of its own KEYS and ARGV (`steps`), after the libraries they
 * use, each once; then the runner of the calls (lua/run-batch.lua).
 */
function batchSource(scripts: readonly AnyLuaScript[]): string {
  const steps = scripts.map(
    (script, index) => `steps[${index + 1}] = function(KEYS, ARGV)\n${script.body}\nend`,
  );
  return assembleLua(
    scripts.flatMap((script) => script.libraries),
    ['local steps = {}', ...steps, runBatchLua],
  );
}
