import { Redis } from 'ioredis';

export interface RoundTrips {
  /** Commands sent by clients, by role: a Lua script is one command, what it runs inside is not counted. */
  byRole: Record<string, number>;
  /** `role command` → count, to show where the round trips go. */
  byRoleCommand: Record<string, number>;
}

/**
 * Counts the commands clients send to Redis with MONITOR on a connection of its own. Each line MONITOR
 * shows for a client is one command it sent (a pipeline of N commands is N lines: N commands, one network
 * round trip when pipelined, so this is an upper bound on round trips). Lines marked `lua` run inside a
 * script and are left out. Clients are told apart by their port: `roles` names the known ones, every
 * other client is `otherRole`.
 */
export class RoundTripCounter {
  readonly #monitor: Redis;
  readonly #roles: ReadonlyMap<number, string>;
  readonly #otherRole: string;
  readonly #byRole = new Map<string, number>();
  readonly #byRoleCommand = new Map<string, number>();

  private constructor(monitor: Redis, roles: ReadonlyMap<number, string>, otherRole: string) {
    this.#monitor = monitor;
    this.#roles = roles;
    this.#otherRole = otherRole;
    monitor.on('monitor', (_time: string, args: string[], source: string) => this.#count(args, source));
  }

  static async start(
    url: string,
    roles: ReadonlyMap<number, string>,
    otherRole: string,
  ): Promise<RoundTripCounter> {
    const connection = new Redis(url, { connectionName: 'bench-monitor' });
    const monitor = await connection.monitor();
    connection.disconnect();
    // MONITOR's own port is never reported (it sends nothing once monitoring).
    return new RoundTripCounter(monitor, roles, otherRole);
  }

  stop(): RoundTrips {
    this.#monitor.disconnect();
    return {
      byRole: Object.fromEntries(this.#byRole),
      byRoleCommand: Object.fromEntries(this.#byRoleCommand),
    };
  }

  #count(args: readonly string[], source: string): void {
    if (source === 'lua') return;
    const port = Number(source.slice(source.lastIndexOf(':') + 1));
    const role = this.#roles.get(port) ?? this.#otherRole;
    if (role === 'ignored') return;
    const command = `${role} ${(args[0] ?? '?').toLowerCase()}`;
    this.#byRole.set(role, (this.#byRole.get(role) ?? 0) + 1);
    this.#byRoleCommand.set(command, (this.#byRoleCommand.get(command) ?? 0) + 1);
  }
}
