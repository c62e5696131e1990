import type { BearerTokens } from '@aiqum-jobs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { ApiScope } from './api-scopes.js';
import type { CallerKey } from './caller-key.js';
import type { EventStreamSlots } from './event-stream-slots.js';
import type { OpenApiDocument } from './openapi-document.js';
import type { Producer } from './producer.js';
import type { ProducerErrorCode } from './producer-error.js';
import type { WebhookService } from './webhook-service.js';

/** The groups of operations in the document, with what they hold. */
export const apiTags = {
  requests: 'One AIQUM API call: queue it, read it, cancel it, poll its job now.',
  batches: 'Many calls submitted together, and their progress.',
  events: 'Completion events, live.',
  webhooks: 'Subscriptions that get events as signed HTTP POSTs, and their dead letters.',
  operations: 'Probes and this documentation; no token needed.',
  dashboard: 'Pages for people, in a browser.',
} as const;

/** One answer of a route besides its errors. */
export interface ApiResponse {
  description: string;
  /** @defaultValue application/json */
  mediaType?: 'application/json' | 'text/event-stream' | 'text/html' | 'text/plain';
  /**
   * Schema of the body (of one message, for an event stream); left out for a body described in words.
   * A 204 answer has no body, and no media type either.
   */
  body?: z.ZodType;
  /** Response headers by name, with what they hold. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * One route of the HTTP API as `/openapi.json` describes it. The schemas are the ones the route parses
 * its input with and builds its answers from, so the document cannot describe another API than the one
 * served.
 */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's form: `/v1/requests/:id`. */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: keyof typeof apiTags;
  /**
   * The scope a token needs here (`admin` has them all), enforced for every route by the server's auth hook;
   * `public`: no token at all. Without tokens configured, any loopback client may.
   */
  access: ApiScope | 'public';
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads, by their canonical names. */
  headers?: z.ZodObject;
  /** `optional`: the route takes a request without a body too. */
  body?: { schema: z.ZodType; description: string; optional?: true };
  /** Answers by HTTP status, except errors. */
  responses: Readonly<Record<number, ApiResponse>>;
  /** Error codes the route answers with, besides `INTERNAL_ERROR` and the auth errors every authenticated route has. */
  errors: readonly ProducerErrorCode[];
  /** Answers the route; a page that a plugin serves names the plugin instead, which registers it itself. */
  handler: RouteHandler | { plugin: 'docs page' | 'dashboard' };
}

/** What route handlers answer from, built once per server. */
export interface RouteContext {
  producer: Producer;
  webhooks: WebhookService;
  /** Served at `/metrics`. */
  registry: Registry;
  /** Those `/metrics` accepts; none: open. */
  metricsTokens: BearerTokens;
  document: OpenApiDocument;
  /** The open event streams: the server aborts them when it closes. */
  streams: Set<AbortController>;
  /** Caps the open event streams, in all and per caller. */
  streamSlots: EventStreamSlots;
  /** Who a request comes from, for the caps and rate limits: its token's name, else its address. */
  limitKeyOf: CallerKey;
  heartbeatMs: number | undefined;
  /** Counts an answer in the HTTP metrics; an event stream has no onResponse, so it counts itself. */
  countAnswer(request: FastifyRequest, reply: FastifyReply): void;
}

export type RouteHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  context: RouteContext,
) => Promise<unknown>;
