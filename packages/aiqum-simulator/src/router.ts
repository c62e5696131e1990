import type { SimJob } from './job-store.js';
import type { JobRule } from './scenario.js';
import type { SimulatorUser } from './simulator-options.js';

/** One request as a route handler sees it. */
export interface RequestContext {
  readonly method: string;
  /** Path without query, `/api/v2/` normalised to `/api/`. */
  readonly path: string;
  /** Path as the client sent it, for `_links`. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed JSON body; undefined when there was none. */
  readonly body: unknown;
  readonly user: SimulatorUser;
  readonly correlationId: string | undefined;
  /** Aborts when the simulator closes, so waits end promptly. */
  readonly signal: AbortSignal;
  /** The scenario's `job` settings for this request, if a rule matched. */
  readonly jobRule: JobRule | undefined;
  /** Jobs this request created, so response faults can be recorded against them. */
  readonly createdJobs: SimJob[];
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (ctx: RequestContext) => Reply | Promise<Reply>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with `{name}` parameters, e.g. `/api/storage-provider/luns/{key}`. */
  template: string;
  handler: RouteHandler;
  /** Job polls are counted per job key or uuid in the stats. */
  poll?: boolean;
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'wrong-method'; allowed: string[] }
  | { kind: 'not-found' };

interface Compiled {
  route: Route;
  segments: Array<{ literal: string } | { param: string }>;
}

/** Matches `METHOD /path` against templates; routes are indexed by segment count. */
export class Router {
  readonly #bySegments = new Map<number, Compiled[]>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      const segments = route.template
        .split('/')
        .map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s }));
      const list = this.#bySegments.get(segments.length) ?? [];
      list.push({ route, segments });
      this.#bySegments.set(segments.length, list);
    }
  }

  match(method: string, path: string): RouteMatch {
    const parts = path.split('/');
    const allowed: string[] = [];
    for (const compiled of this.#bySegments.get(parts.length) ?? []) {
      const params = matchSegments(compiled.segments, parts);
      if (!params) continue;
      if (compiled.route.method === method) return { kind: 'found', route: compiled.route, params };
      allowed.push(compiled.route.method);
    }
    return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'not-found' };
  }
}

function matchSegments(
  segments: Compiled['segments'],
  parts: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i];
    if (segment === undefined || part === undefined) return undefined;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
      continue;
    }
    if (part === '') return undefined;
    try {
      params[segment.param] = decodeURIComponent(part);
    } catch {
      return undefined;
    }
  }
  return params;
}
