import type { Redis } from 'ioredis';
import { z } from 'zod';

/** Command name → calls, from `INFO commandstats` (commands run inside Lua scripts included). */
export type CommandCounts = Record<string, number>;

function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

export async function commandCounts(redis: Redis): Promise<CommandCounts> {
  const counts: CommandCounts = {};
  for (const [name, value] of infoFields(await redis.info('commandstats'))) {
    const calls = /(?:^|,)calls=(\d+)/.exec(value)?.[1];
    if (name.startsWith('cmdstat_') && calls !== undefined) counts[name.slice(8)] = Number(calls);
  }
  return counts;
}

/** What ran between two snapshots, without the commands the bench itself sends to read them. */
export function commandDelta(before: CommandCounts, after: CommandCounts): CommandCounts {
  const delta: CommandCounts = {};
  for (const [name, calls] of Object.entries(after)) {
    const ran = calls - (before[name] ?? 0);
    if (ran > 0) delta[name] = ran;
  }
  return delta;
}

export function totalCalls(counts: CommandCounts): number {
  return Object.values(counts).reduce((sum, calls) => sum + calls, 0);
}

/** The busiest commands first, for tables. */
export function topCommands(counts: CommandCounts, limit: number): Array<[string, number]> {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit);
}

export async function usedMemoryBytes(redis: Redis): Promise<number> {
  return Number(infoFields(await redis.info('memory')).get('used_memory') ?? 'NaN');
}

export async function redisServerInfo(redis: Redis): Promise<{ version: string; pid: number }> {
  const fields = infoFields(await redis.info('server'));
  return {
    version: fields.get('redis_version') ?? 'unknown',
    pid: Number(fields.get('process_id') ?? 'NaN'),
  };
}

const slowlogSchema = z.array(
  z.tuple([z.number(), z.number(), z.number(), z.array(z.string())]).rest(z.unknown()),
);

export interface SlowCommand {
  durationUs: number;
  command: string;
}

/** The slowest commands Redis logged (only a Redis of the bench's own is set to log them). */
export async function slowCommands(redis: Redis, limit: number): Promise<SlowCommand[]> {
  const entries = slowlogSchema.parse(await redis.call('SLOWLOG', 'GET', String(limit)));
  return entries
    .map(([, , durationUs, args]) => ({ durationUs, command: args.slice(0, 3).join(' ').slice(0, 120) }))
    .sort((a, b) => b.durationUs - a.durationUs);
}
