import { type Simulator, type SimulatorUser, seedInventoryKeys } from '../src/index.js';

export interface CallResult {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

export interface CallOptions {
  body?: unknown;
  /** Username of one of the simulator's users; `null` sends no credentials. */
  user?: string | null;
  headers?: Record<string, string>;
}

export function basicAuth(user: SimulatorUser): string {
  return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
}

/** One request with node's fetch; the default user is the application administrator. */
export async function call(
  sim: Simulator,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  const username = options.user === undefined ? 'admin' : options.user;
  if (username !== null) {
    const user = sim.users.find((u) => u.username === username);
    if (!user) throw new Error(`no user ${username}`);
    headers.authorization = basicAuth(user);
  }
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined
      ? {}
      : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text so a test can assert on it
  }
  return { status: response.status, headers: response.headers, body };
}

/** Narrows a JSON value for assertions without `any`. */
export function obj(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

export function records(value: unknown): Array<Record<string, unknown>> {
  const list = obj(value).records;
  if (!Array.isArray(list)) throw new Error('expected records');
  return list.map(obj);
}

export function jobKeyOf(value: unknown): string {
  const key = obj(obj(value).job).key;
  if (typeof key !== 'string') throw new Error('expected job.key');
  return key;
}

/**
 * Waits until a job has ended, as the ground truth shows it (`/_sim/` requests count as no poll), then
 * GETs its record once: the simulator long-polls only when asked to, and a job may report a state no rule
 * of a client's knows all its life.
 */
export async function waitForJob(
  sim: Simulator,
  key: string,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (obj((await call(sim, 'GET', `/_sim/jobs/${encodeURIComponent(key)}`)).body).settled !== true) {
    if (Date.now() > deadline) throw new Error(`job ${key} did not end within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const result = await call(sim, 'GET', `/api/management-server/jobs/${encodeURIComponent(key)}`);
  if (result.status !== 200) throw new Error(`poll answered ${result.status}`);
  return obj(result.body);
}

/** Why a job failed: the `failure_reason` of its task whose status is `error`. */
export function failureReasonOf(job: Record<string, unknown>): unknown {
  const tasks = job.task_reports;
  if (!Array.isArray(tasks)) throw new Error('expected task_reports');
  return tasks.map(obj).find((task) => task.status === 'error')?.failure_reason;
}

/** The keys of a simulator's seeded objects (write bodies take keys), for the default seed. */
export const keys = seedInventoryKeys();

/** A LUN POST in SVM vs1 with the Value service level, in a new volume `AIQUM_vol_<name>`; `seed` as the simulator's. */
export const lunBody = (
  name: string,
  extra: Record<string, unknown> = {},
  seed = 1,
): Record<string, unknown> => {
  const seeded = seedInventoryKeys(seed);
  return {
    name,
    os_type: 'linux',
    space: { size: 1024 ** 3 },
    svm: { key: seeded.svms.vs1 },
    performance_service_level: { key: seeded.performanceServiceLevels.Value },
    ...extra,
  };
};
