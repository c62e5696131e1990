import type { Logger } from 'pino';
import { z } from 'zod';
import { type ScenarioInput, scenarioSchema } from './scenario.js';

export const userRoles = ['operator', 'storage_admin', 'application_admin'] as const;
export type UserRole = (typeof userRoles)[number];

export const userSchema = z.strictObject({
  username: z
    .string()
    .min(1)
    .refine((u) => !u.includes(':'), { message: 'a username cannot contain ":"' }),
  password: z.string().min(1),
  role: z.enum(userRoles),
});

export interface SimulatorUser {
  username: string;
  password: string;
  role: UserRole;
}

/**
 * How AIQUM job records spell their lifecycle. `spec`: as Unified Manager's API specification and every
 * NetApp client: `state` running (aborting) then completed (aborted), `status` normal/warning/
 * partial_failures/error in lower case. `docs`: the copy error of NetApp's documentation page, kept as a
 * robustness scenario: `state` RUNNING then NORMAL/WARNING/PARTIAL_FAILURES/ERROR/ABORTED, `status`
 * mirroring it, and a job-level `message`.
 */
export const dialects = ['spec', 'docs'] as const;
export type Dialect = (typeof dialects)[number];

/**
 * What 401 and 403 answers carry. `json`: an AIQUM error body. `text`: a short text/plain line. `empty`:
 * no body at all. No source says what a real server sends; some send no JSON.
 */
export const authErrorBodies = ['json', 'text', 'empty'] as const;
export type AuthErrorBody = (typeof authErrorBodies)[number];

export const defaultUsers: readonly SimulatorUser[] = [
  { username: 'admin', password: 'admin123', role: 'application_admin' },
  { username: 'storage', password: 'storage123', role: 'storage_admin' },
  { username: 'operator', password: 'operator123', role: 'operator' },
];

export interface SimulatorOptions {
  /** TCP port; 0 picks a free one. @defaultValue `0` */
  port?: number;
  /** Address to listen on. @defaultValue `127.0.0.1` */
  host?: string;
  /** HTTPS with a certificate made at start-up; `false` serves plain HTTP. @defaultValue `true` */
  tls?: boolean;
  /** More names the certificate is valid for, e.g. a container's service name. @defaultValue none */
  tlsNames?: string[];
  /** How job records spell their state. @defaultValue `spec` */
  dialect?: Dialect;
  /** Who may log in. @defaultValue admin/admin123 (application_admin), storage/storage123 (storage_admin), operator/operator123 (operator) */
  users?: SimulatorUser[];
  /** Seed of the inventory, job keys, job outcomes and faults. @defaultValue `1` */
  seed?: number;
  /** Rules for job durations, outcomes and faults. @defaultValue no rules */
  scenario?: ScenarioInput;
  /**
   * Long polling of `GET management-server/jobs/{key}` in ONTAP Select Deploy's style (the only documented
   * one; Unified Manager's specification has none): `poll_timeout=N` (integer 1..120) holds the answer
   * until the job's state changes after `last_modified` (ISO 8601 date-time; absent = when the request
   * arrived), answering at once when the job has ended or changed since then, else after N seconds. Off,
   * the parameters are unknown ones and change nothing. @defaultValue `false`
   */
  longPoll?: boolean;
  /** What 401 and 403 answers carry. @defaultValue `json` */
  authErrorBody?: AuthErrorBody;
  /** Seconds after its end that an ONTAP job is purged (polls then 404). @defaultValue `300` */
  ontapJobPurgeSeconds?: number;
  /** Page size of a datacenter collection GET without `max_records` (SPEC: 100; capped at 1000). @defaultValue `100` */
  defaultPageSize?: number;
  /** The ONTAP API gateway is enabled; `false` answers every `/api/gateways` call as a server with it disabled. @defaultValue `true` */
  gateway?: boolean;
  /** Directory for `ca.pem`. @defaultValue a new temporary directory, removed on close */
  stateDir?: string;
  /** Where the simulator logs. @defaultValue a silent pino logger */
  logger?: Logger;
  /** The clock jobs run on, in epoch milliseconds. @defaultValue `Date.now` */
  now?: () => number;
}

export const simulatorOptionsSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  tls: z.boolean().default(true),
  tlsNames: z.array(z.string().regex(/^[A-Za-z0-9.:[\]-]+$/, 'not a host name or IP address')).default([]),
  dialect: z.enum(dialects).default('spec'),
  users: z
    .array(userSchema)
    .min(1)
    .refine((users) => new Set(users.map((u) => u.username)).size === users.length, {
      message: 'usernames must be unique',
    })
    .default(() => defaultUsers.map((u) => ({ ...u }))),
  seed: z.number().int().default(1),
  scenario: scenarioSchema.default({ rules: [] }),
  longPoll: z.boolean().default(false),
  authErrorBody: z.enum(authErrorBodies).default('json'),
  ontapJobPurgeSeconds: z.number().nonnegative().default(300),
  defaultPageSize: z.number().int().min(1).max(1000).default(100),
  gateway: z.boolean().default(true),
  stateDir: z.string().min(1).optional(),
  logger: z
    .custom<Logger>((v) => typeof v === 'object' && v !== null && 'info' in v && 'child' in v)
    .optional(),
  now: z.custom<() => number>((v) => typeof v === 'function').default(() => Date.now),
});

export type ResolvedSimulatorOptions = z.output<typeof simulatorOptionsSchema>;
