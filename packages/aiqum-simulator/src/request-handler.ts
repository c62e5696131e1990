import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from './auth.js';
import { errorBody, errorCodes, HttpError } from './errors.js';
import type { SimJob } from './job-store.js';
import type { Reply, RequestContext, Route, RouteMatch, Router } from './router.js';
import {
  type AnswerFault,
  drawFaults,
  type FaultPlan,
  type JobRule,
  type ResponseFault,
} from './scenario.js';
import { type PlainReply, sendPlain, sendReply } from './send-reply.js';
import type { SimulatorUser } from './simulator-options.js';
import type { SimulatorState } from './simulator-state.js';
import { waitUntil } from './wait.js';

const maxBodyBytes = 1024 * 1024;
const adminPrefix = '/_sim/';

/** Reads the body; `undefined` when empty, `null` when it exceeds the limit (drained, not kept). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > maxBodyBytes ? null : size === 0 ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `/api/v2/x` → `/api/x`; a trailing slash is dropped. */
export function normalizePath(path: string): string {
  const unversioned = path === '/api/v2' || path.startsWith('/api/v2/') ? `/api${path.slice(7)}` : path;
  return unversioned.length > 1 && unversioned.endsWith('/') ? unversioned.slice(0, -1) : unversioned;
}

function parseJson(raw: Buffer | undefined, contentType: string | undefined): unknown {
  if (raw === undefined) return undefined;
  if (contentType !== undefined && !/json/i.test(contentType)) {
    throw new HttpError(415, 'Only application/json bodies are accepted', errorCodes.unsupportedMediaType, {
      target: 'content-type',
    });
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON', errorCodes.badJson, { target: 'body' });
  }
}

function faultReply(plan: NonNullable<FaultPlan['status']>): Reply {
  const { status } = plan;
  const headers: Record<string, string> = {};
  // Clients must honour Retry-After on 429 and 503; other statuses carry it only when the scenario says so.
  const retryAfter = plan.retryAfterSeconds ?? (status === 429 || status === 503 ? 1 : undefined);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  const code =
    status === 429
      ? errorCodes.tooManyRequests
      : status === 503
        ? errorCodes.unavailable
        : errorCodes.serverError;
  return { status, headers, body: errorBody(`Simulated fault: HTTP ${status}`, code) };
}

function errorReply(error: HttpError): Reply {
  return { status: error.status, body: error.body(), headers: { ...error.headers } };
}

/** A 401 or 403 without a JSON body, for the `authErrorBody` option's `text` and `empty`. */
function plainAuthReply(error: HttpError, body: 'text' | 'empty'): PlainReply {
  const text = body === 'empty' ? '' : error.status === 401 ? 'Unauthorized' : 'Forbidden';
  return { status: error.status, text, headers: { ...error.headers } };
}

/** The request pipeline: body → settle due jobs → route → auth → pre-processing faults → handler → response faults. */
export class RequestHandler {
  readonly #state: SimulatorState;
  readonly #router: Router;
  readonly #auth: Authenticator;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(state: SimulatorState, router: Router, auth: Authenticator) {
    this.#state = state;
    this.#router = router;
    this.#auth = auth;
  }

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const done = this.#handle(req, res)
      .catch((error: unknown) => {
        this.#state.logger.error({ err: error, method: req.method, url: req.url }, 'request failed');
        if (!res.headersSent)
          sendReply(res, { status: 500, body: errorBody('Internal error', errorCodes.serverError) });
      })
      .finally(() => this.#inFlight.delete(done));
    this.#inFlight.add(done);
  };

  /** Resolves when every request in progress has been answered. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Authentication, routing, roles and body size, in the order a client should see their errors. */
  #admit(
    req: IncomingMessage,
    method: string,
    rawPath: string,
    match: RouteMatch,
    raw: Buffer | undefined | null,
    admin: boolean,
  ):
    | { refusal: HttpError }
    | { user: SimulatorUser; route: Route; params: Record<string, string>; raw: Buffer | undefined } {
    const user = this.#auth.authenticate(req.headers.authorization);
    const refuse = (error: HttpError) => ({ refusal: error });
    if (!user) {
      return refuse(
        new HttpError(401, 'Authentication required', errorCodes.notAuthenticated, {
          headers: { 'www-authenticate': 'Basic realm="AIQUM"' },
        }),
      );
    }
    if (match.kind === 'not-found')
      return refuse(new HttpError(404, `No route for ${rawPath}`, errorCodes.notFound));
    if (match.kind === 'wrong-method') {
      return refuse(
        new HttpError(405, `Method ${method} is not allowed on ${rawPath}`, errorCodes.methodNotAllowed, {
          headers: { allow: match.allowed.join(', ') },
        }),
      );
    }
    // Roles (AIQUM-API.md): an operator reads; a storage administrator also writes under storage-provider;
    // everything else (datacenter, admin, the gateway, the simulator's own API) is for application administrators.
    const write = method !== 'GET';
    const storageProviderWrite = write && normalizePath(rawPath).startsWith('/api/storage-provider/');
    const applicationAdminOnly = admin || (write && !storageProviderWrite);
    if ((applicationAdminOnly && user.role !== 'application_admin') || (write && user.role === 'operator')) {
      return refuse(
        new HttpError(403, `User "${user.username}" may not ${method} ${rawPath}`, errorCodes.forbidden),
      );
    }
    if (raw === null) {
      return refuse(
        new HttpError(413, 'The request body is too large', errorCodes.bodyTooLarge, { target: 'body' }),
      );
    }
    return { user, route: match.route, params: match.params, raw };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const state = this.#state;
    // The admin API is the observer: its own requests stay out of the stats it reports.
    const counted = !(req.url ?? '/').startsWith(adminPrefix);
    if (counted) state.stats.enter();
    let routeKey = `${req.method ?? 'GET'} (unmatched)`;
    let status: number | string = 0;
    const answer = (reply: Reply, fault?: ResponseFault): void => {
      status = fault === 'reset' ? 'reset' : reply.status;
      sendReply(res, reply, fault);
    };
    const refuse = (error: HttpError): void => {
      const { authErrorBody } = state.options;
      if (authErrorBody !== 'json' && (error.status === 401 || error.status === 403)) {
        status = error.status;
        sendPlain(res, plainAuthReply(error, authErrorBody));
      } else {
        answer(errorReply(error));
      }
    };
    try {
      const raw = await readBody(req);
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const rawPath = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      const path = normalizePath(rawPath);
      state.jobs.settleDue();

      const match = this.#router.match(method, path);
      if (match.kind === 'found') routeKey = `${method} ${match.route.template}`;
      const admin = !counted;
      const admitted = this.#admit(req, method, rawPath, match, raw, admin);
      if ('refusal' in admitted) {
        refuse(admitted.refusal);
        return;
      }
      const { user, route, params } = admitted;
      const pollId = params.key ?? params.uuid;
      if (route.poll && pollId !== undefined) state.stats.poll(pollId);

      let body: unknown;
      let jobRule: JobRule | undefined;
      let plan: FaultPlan = { latencyMs: 0 };
      try {
        body = parseJson(admitted.raw, req.headers['content-type']);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        answer(errorReply(error));
        return;
      }
      if (!admin) {
        const rules = state.scenario.match(method, path, body);
        jobRule = rules.job;
        plan = drawFaults(rules.faults, state.faultRandom);
      }
      const correlationHeader = req.headers['x-correlation-id'];
      const correlationId = Array.isArray(correlationHeader) ? correlationHeader[0] : correlationHeader;
      const isWrite = method !== 'GET' && !admin;
      const write = isWrite && correlationId !== undefined ? correlationId : undefined;
      if (plan.status) {
        state.stats.fault(String(plan.status.status));
        if (write !== undefined) {
          state.stats.writeFault(write, {
            fault: String(plan.status.status),
            processed: false,
            status: null,
            at: new Date(state.options.now()).toISOString(),
          });
        }
        answer(faultReply(plan.status));
        return;
      }
      if (plan.latencyMs > 0) {
        state.stats.fault('latency');
        await waitUntil(plan.latencyMs, state.closing.signal, () => () => {});
        state.jobs.settleDue();
      }

      if (write !== undefined) state.stats.submission(write);
      const createdJobs: SimJob[] = [];
      const ctx: RequestContext = {
        method,
        path,
        rawPath,
        query,
        params,
        body,
        user,
        correlationId,
        signal: state.closing.signal,
        jobRule,
        createdJobs,
      };
      let reply: Reply;
      try {
        reply = await route.handler(ctx);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        reply = errorReply(error);
      }
      // A status after processing replaces the real answer, so it also takes the place of a response fault.
      const afterProcessing = isWrite ? plan.afterProcessing : undefined;
      const answerFault: AnswerFault | undefined =
        afterProcessing === undefined ? plan.responseFault : `${afterProcessing}`;
      if (answerFault !== undefined) {
        state.stats.fault(
          afterProcessing === undefined ? answerFault : `${afterProcessing}-after-processing`,
        );
        for (const job of createdJobs) job.responseFault = answerFault;
        if (write !== undefined) {
          state.stats.writeFault(write, {
            fault: answerFault,
            processed: true,
            status: reply.status,
            at: new Date(state.options.now()).toISOString(),
          });
        }
      } else if (route.poll && pollId !== undefined && reply.status === 200) {
        // The answer was built from the job just now (only microtasks ran since), so a settled job's end
        // is in it, and it reaches the client unspoiled.
        const polled = state.jobs.get(pollId);
        if (polled?.settled) polled.endSeen = true;
      }
      // Checked first so that, at the usual levels, every request does not build a log object to drop.
      if (state.logger.isLevelEnabled('debug')) {
        state.logger.debug(
          { method, path, status: reply.status, correlationId, fault: answerFault },
          'request',
        );
      }
      if (afterProcessing !== undefined)
        answer(faultReply({ status: afterProcessing, retryAfterSeconds: undefined }));
      else answer(reply, plan.responseFault);
    } finally {
      if (counted) {
        state.stats.leave();
        state.stats.request(routeKey, status);
      }
    }
  }
}
