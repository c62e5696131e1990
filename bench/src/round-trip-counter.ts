import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

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
 *
 * MONITOR is read from a plain socket: ioredis's monitor mode can take a line that arrives in the same
 * packet as MONITOR's `+OK` for a reply to no command, and then throws out of its parser.
 */
export class RoundTripCounter {
  readonly #socket: Socket;
  readonly #roles: ReadonlyMap<number, string>;
  readonly #otherRole: string;
  readonly #byRole = new Map<string, number>();
  readonly #byRoleCommand = new Map<string, number>();
  #pending = '';
  #monitoring: (() => void) | undefined;

  private constructor(socket: Socket, roles: ReadonlyMap<number, string>, otherRole: string) {
    this.#socket = socket;
    this.#roles = roles;
    this.#otherRole = otherRole;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.#read(chunk));
  }

  static async start(
    url: string,
    roles: ReadonlyMap<number, string>,
    otherRole: string,
  ): Promise<RoundTripCounter> {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    await once(socket, 'connect');
    const counter = new RoundTripCounter(socket, roles, otherRole);
    // Commands count from MONITOR's `+OK` on, so none sent after start() returns is missed.
    const monitoring = new Promise<void>((resolve) => {
      counter.#monitoring = resolve;
    });
    socket.write('MONITOR\r\n');
    await monitoring;
    // MONITOR's own port is never reported (it sends nothing once monitoring).
    return counter;
  }

  stop(): RoundTrips {
    this.#socket.destroy();
    return {
      byRole: Object.fromEntries(this.#byRole),
      byRoleCommand: Object.fromEntries(this.#byRoleCommand),
    };
  }

  /** Lines such as `+1795785769.677800 [0 127.0.0.1:55092] "info" "commandstats"`; `+OK` comes first. */
  #read(chunk: string): void {
    const lines = (this.#pending + chunk).split('\r\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '+OK') this.#monitoring?.();
      const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "((?:[^"\\]|\\.)*)"/.exec(line);
      if (match?.[1] !== undefined && match[2] !== undefined) this.#count([match[2]], match[1]);
    }
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
