import { readFileSync } from 'node:fs';
import type { BearerTokens } from '@aiqum-jobs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idParamsSchema } from './api-schemas.js';
import type { DashboardSessions } from './dashboard-sessions.js';
import type { ProducerServer } from './http-server.js';
import { dashboardPath } from './page-paths.js';
import { ProducerError, producerErrorCodes } from './producer-error.js';
import { sessionCookie } from './session-cookie.js';

export interface DashboardOptions {
  /** The API's tokens; none: the dashboard is open, like the API. */
  tokens: BearerTokens;
  sessions: DashboardSessions;
  /** BullMQ queues shown by bull-board under `/dashboard/queues`, read-only. */
  queues: readonly Queue[];
}

/** Routes a browser needs before it has a session: the login form and the files its pages load. */
export const dashboardPublicRoutes: readonly string[] = [
  `${dashboardPath}/login`,
  `${dashboardPath}/logout`,
  `${dashboardPath}/assets/:name`,
];

/** Where bull-board is served. */
export const queuesBasePath = `${dashboardPath}/queues`;

/** The pages and the files they load, read once: they are small and ship with the package. */
const assetsDir = new URL('../dashboard/', import.meta.url);
const readAsset = (name: string) => readFileSync(new URL(name, assetsDir), 'utf8');
const pages = {
  login: readAsset('login.html'),
  index: readAsset('index.html'),
  batch: readAsset('batch.html'),
};
const assetTypes: Readonly<Record<string, string>> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'shared.js': 'text/javascript; charset=utf-8',
  'index.js': 'text/javascript; charset=utf-8',
  'batch.js': 'text/javascript; charset=utf-8',
};
const assets = new Map(Object.keys(assetTypes).map((name) => [name, readAsset(name)]));

/**
 * Headers of every HTML page of the dashboard. Pages load only files of this server and talk only to it;
 * bull-board's page also needs inline styles, and its Google Fonts link is blocked (system fonts instead),
 * so no page makes the browser contact another site.
 */
function pageHeaders(inlineStyles: boolean): Record<string, string> {
  const styles = inlineStyles ? "'self' 'unsafe-inline'" : "'self'";
  return {
    'content-security-policy':
      `default-src 'none'; script-src 'self'; style-src ${styles}; img-src 'self'; font-src 'self'; ` +
      "connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    // Not no-referrer: with it, browsers send `Origin: null` on our own form posts.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

const loginFormSchema = z.object({ token: z.string().max(1_024) });
const assetParamsSchema = z.object({ name: z.string() });
const batchParamsSchema = z.object({ batchId: idParamsSchema.shape.id });
/** Only a path of the dashboard: a login can never send the browser anywhere else. */
const nextSchema = z
  .string()
  .regex(/^\/dashboard(?:[/?][\x21-\x7e]*)?$/)
  .catch(dashboardPath);
const loginQuerySchema = z.object({ next: nextSchema.default(dashboardPath) });

/**
 * Where a browser that is not logged in is sent instead of a dashboard page (an HTML navigation); other
 * requests get 401.
 */
export function loginRedirectOf(request: FastifyRequest): string | undefined {
  if (request.method !== 'GET' || !request.url.startsWith(dashboardPath)) return undefined;
  if (!(request.headers.accept ?? '').includes('text/html')) return undefined;
  return `${dashboardPath}/login?next=${encodeURIComponent(request.url)}`;
}

/**
 * The dashboard: a login that turns an API token into a session cookie, an index of recent batches, a
 * live page per batch (`/dashboard/batches/:batchId`) and bull-board. The pages read the API's operations
 * (`/v1/batches...`, `/v1/events`); the routes here only serve pages, their files and the login.
 */
export function registerDashboard(app: ProducerServer, options: DashboardOptions): void {
  const { tokens, sessions } = options;

  app.register(async (dashboard) => {
    dashboard.addHook('onSend', async (request, reply, payload) => {
      if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        reply.headers(pageHeaders(request.url.startsWith(queuesBasePath)));
      }
      return payload;
    });
    // Only the login form posts form data; the API keeps answering 415 to it.
    dashboard.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4_096 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    dashboard.get(dashboardPath, (_request, reply) => sendPage(reply, pages.index));
    dashboard.get(`${dashboardPath}/`, (_request, reply) => reply.redirect(dashboardPath));

    dashboard.get(`${dashboardPath}/login`, (request, reply) => {
      const { next } = loginQuerySchema.parse(request.query ?? {});
      if (tokens.empty) return reply.redirect(next, 303);
      return sendPage(reply, loginPage(false));
    });

    dashboard.post(`${dashboardPath}/login`, (request, reply) => {
      rejectCrossSite(request);
      const { next } = loginQuerySchema.parse(request.query ?? {});
      const form = loginFormSchema.safeParse(request.body);
      const session = form.success ? sessions.open(form.data.token) : undefined;
      if (session === undefined) {
        request.log.info('dashboard login refused');
        return sendPage(reply, loginPage(true), 401);
      }
      request.log.info('dashboard login');
      const cookie = sessionCookie(session, {
        maxAgeSeconds: Math.floor(sessions.lifetimeMs / 1000),
        secure: reachedOverTls(request),
      });
      return reply.header('set-cookie', cookie).redirect(next, 303);
    });

    dashboard.post(`${dashboardPath}/logout`, (request, reply) => {
      rejectCrossSite(request);
      const cookie = sessionCookie('', { maxAgeSeconds: 0, secure: reachedOverTls(request) });
      return reply.header('set-cookie', cookie).redirect(`${dashboardPath}/login`, 303);
    });

    dashboard.get(`${dashboardPath}/assets/:name`, (request, reply) => {
      const { name } = assetParamsSchema.parse(request.params);
      const content = assets.get(name);
      const type = assetTypes[name];
      if (content === undefined || type === undefined) {
        throw new ProducerError(producerErrorCodes.notFound, `no dashboard file ${name}`);
      }
      return reply.header('content-type', type).header('x-content-type-options', 'nosniff').send(content);
    });

    dashboard.get(`${dashboardPath}/batches/:batchId`, (request, reply) => {
      if (!batchParamsSchema.safeParse(request.params).success) {
        throw new ProducerError(producerErrorCodes.notFound, 'no such batch id');
      }
      return sendPage(reply, pages.batch);
    });

    // bull-board brings its own UI and error handling; its plugin stays inside this scope.
    const board = new FastifyAdapter().setBasePath(queuesBasePath);
    createBullBoard({
      // Read-only: removing, retrying or cleaning a request's job behind the request store's back would
      // break its guarantees; changes go through the API.
      queues: options.queues.map((queue) => {
        const adapter = new BullMQAdapter(queue, { readOnlyMode: true });
        // The API's views keep request bodies (which may hold passwords) out; so does the board.
        adapter.setFormatter('data', hideRequestBody);
        return adapter;
      }),
      serverAdapter: board,
      options: {
        uiConfig: { boardTitle: 'aiqum-jobs', miscLinks: [{ text: 'Batches', url: dashboardPath }] },
      },
    });
    await dashboard.register(board.registerPlugin(), { prefix: queuesBasePath });
  });
}

/** A queue job's data as the board shows it: a request's `body` replaced by a note. */
function hideRequestBody(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !('body' in data)) return data;
  return { ...data, body: '[hidden: request bodies are not shown]' };
}

function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** The login page, with the refusal message shown after a wrong token. */
function loginPage(refused: boolean): string {
  return refused ? pages.login.replace('<p class="refused" hidden>', '<p class="refused">') : pages.login;
}

/** SameSite keeps the cookie from other sites; this keeps other sites from logging a browser in or out. */
function rejectCrossSite(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const host = URL.canParse(origin) ? new URL(origin).host : undefined;
  if (host === undefined || host !== request.headers.host) {
    throw new ProducerError(producerErrorCodes.forbidden, 'a form of another site cannot post here');
  }
}

/** TLS here, or at the proxy in front of us: then the cookie is marked Secure. */
function reachedOverTls(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return request.protocol === 'https' || proto === 'https';
}
