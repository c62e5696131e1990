import type { SimulatorUser } from './simulator-options.js';

// Clients send the same few headers again and again; decoding base64 once per header keeps auth cheap.
const cacheLimit = 1000;

/** Checks HTTP Basic credentials against the configured users. */
export class Authenticator {
  readonly #users: ReadonlyMap<string, SimulatorUser>;
  readonly #cache = new Map<string, SimulatorUser | undefined>();

  constructor(users: readonly SimulatorUser[]) {
    this.#users = new Map(users.map((u) => [u.username, u]));
  }

  /** The user the `Authorization` header proves, or undefined. */
  authenticate(header: string | undefined): SimulatorUser | undefined {
    if (header === undefined) return undefined;
    if (this.#cache.has(header)) return this.#cache.get(header);
    const user = this.#check(header);
    if (this.#cache.size >= cacheLimit) this.#cache.clear();
    this.#cache.set(header, user);
    return user;
  }

  #check(header: string): SimulatorUser | undefined {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (!match?.[1]) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const user = this.#users.get(decoded.slice(0, colon));
    return user && user.password === decoded.slice(colon + 1) ? user : undefined;
  }
}
