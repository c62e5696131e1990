import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisConnection } from '@aiqum-jobs/contracts';
import type { z } from 'zod';

export type ScriptArgument = string | number;

/** Lua functions (a `.lua` file of `local function`s) put before the text of each script that uses them. */
export interface LuaLibrary {
  readonly text: string;
}

/**
 * The text of a `.lua` file, given relative to the module that reads it: `src/lua` under vitest, `dist/lua`
 * when built (each package's build copies its `src/lua` there).
 */
export function readLuaFile(url: URL): string {
  return readFileSync(url, 'utf8');
}

/** What a script takes and answers; its `.lua` text binds KEYS and ARGV to named locals in these orders. */
export interface LuaScriptDefinition<
  Key extends string,
  OptionalKey extends string,
  Arg extends string,
  Reply,
> {
  /** The script's own text (`readLuaFile`). */
  body: string;
  libraries?: readonly LuaLibrary[];
  /** The names of KEYS[1], KEYS[2], ... */
  keys: readonly Key[];
  /**
   * Keys a call passes only when it has them, after `keys` and in this order; the script tells from its
   * arguments which came.
   */
  optionalKeys?: readonly OptionalKey[];
  /** The names of ARGV[1], ARGV[2], ... */
  args: readonly Arg[];
  /** Decodes what the script returns. */
  reply: z.ZodType<Reply>;
}

/**
 * One call of a script: its keys and arguments by name, then any list of keys (one per request, say) and of
 * arguments that go after the named ones.
 */
export interface ScriptCall<Key extends string, OptionalKey extends string, Arg extends string> {
  keys: Record<Key, string> & Partial<Record<OptionalKey, string>>;
  keyList?: readonly string[];
  args: Record<Arg, ScriptArgument>;
  argList?: readonly ScriptArgument[];
}

/**
 * A Lua script run by its SHA, loaded on first use and again after a Redis restart (NOSCRIPT). One script
 * call is one round trip and one atomic step. Its source is its libraries' text and then its own; the SHA is
 * that of the whole.
 */
export class LuaScript<Key extends string, OptionalKey extends string, Arg extends string, Reply> {
  readonly body: string;
  readonly libraries: readonly LuaLibrary[];
  readonly source: string;
  readonly sha: string;
  readonly #definition: LuaScriptDefinition<Key, OptionalKey, Arg, Reply>;

  constructor(definition: LuaScriptDefinition<Key, OptionalKey, Arg, Reply>) {
    this.#definition = definition;
    this.body = definition.body;
    this.libraries = definition.libraries ?? [];
    this.source = assembleLua(this.libraries, [this.body]);
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  /** A call's KEYS and ARGV, in the script's order. */
  positional(call: ScriptCall<Key, OptionalKey, Arg>): { keys: string[]; args: ScriptArgument[] } {
    const { keys, optionalKeys = [], args } = this.#definition;
    const given: Partial<Record<Key | OptionalKey, string>> = call.keys;
    const present = optionalKeys.flatMap((name) => given[name] ?? []);
    return {
      keys: [...keys.map((name) => call.keys[name]), ...present, ...(call.keyList ?? [])],
      args: [...args.map((name) => call.args[name]), ...(call.argList ?? [])],
    };
  }

  decode(reply: unknown): Reply {
    return this.#definition.reply.parse(reply);
  }

  async run(redis: RedisConnection, call: ScriptCall<Key, OptionalKey, Arg>): Promise<Reply> {
    const { keys, args } = this.positional(call);
    try {
      return this.decode(await redis.evalsha(this.sha, keys.length, ...keys, ...args));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.decode(await redis.eval(this.source, keys.length, ...keys, ...args));
    }
  }

  /**
   * Runs the script by its whole source, never by SHA: for a call that may reach Redis long after it was
   * sent (a hung or restarting Redis), when a NOSCRIPT could no longer be answered with the source.
   */
  async eval(redis: RedisConnection, call: ScriptCall<Key, OptionalKey, Arg>): Promise<Reply> {
    const { keys, args } = this.positional(call);
    return this.decode(await redis.eval(this.source, keys.length, ...keys, ...args));
  }
}

/** Any script, as code that runs scripts of every shape (the batcher) holds them. */
export type AnyLuaScript = LuaScript<string, string, string, unknown>;

/** Lua text: each library once, in order of first use, then the bodies. */
export function assembleLua(libraries: readonly LuaLibrary[], bodies: readonly string[]): string {
  return [...new Set(libraries)]
    .map((library) => library.text)
    .concat(bodies)
    .join('\n');
}
