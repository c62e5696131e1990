import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ApiCaller } from './api-caller.js';
import { idParamsSchema, submitHeadersSchema } from './api-schemas.js';
import { issuesOfZodError } from './input-issues.js';
import { ProducerError, producerErrorCodes } from './producer-error.js';

// What route handlers share to read their input and to answer "not found" and pages alike.

export function idempotencyOf(request: FastifyRequest): { idempotencyKey?: string } {
  const key = parse(
    submitHeadersSchema.shape['Idempotency-Key'],
    request.headers['idempotency-key'],
    'Idempotency-Key',
  );
  return key === undefined ? {} : { idempotencyKey: key };
}

/** Who sent the request; only public routes have none, and they do not ask. */
export function callerOf(request: FastifyRequest): ApiCaller {
  if (request.caller === undefined) throw new Error(`no caller on ${request.method} ${request.url}`);
  return request.caller;
}

/** The targets the caller may use, for the producer's checks. */
export function targetAccessOf(request: FastifyRequest): { allowedTargets: ReadonlySet<string> | undefined } {
  return { allowedTargets: callerOf(request).targets };
}

export function idOf(request: FastifyRequest): string {
  const parsed = idParamsSchema.safeParse(request.params);
  if (!parsed.success) throw new ProducerError(producerErrorCodes.notFound, 'no such id');
  return parsed.data.id;
}

export function notFound(kind: string, id: string): never {
  throw new ProducerError(producerErrorCodes.notFound, `no ${kind} ${id}`);
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, where?: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = issuesOfZodError(parsed.error).map((issue) =>
    where === undefined ? issue : { ...issue, path: where },
  );
  throw new ProducerError(
    producerErrorCodes.validationFailed,
    issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '),
    { issues },
  );
}

/** `self` and, while more remain, `next` of one page of a list. */
export function pageLinks(
  path: string,
  page: { offset: number; limit: number },
  total: number,
): Record<string, string> {
  const links: Record<string, string> = { self: `${path}?offset=${page.offset}&limit=${page.limit}` };
  const next = page.offset + page.limit;
  if (next < total) links.next = `${path}?offset=${next}&limit=${page.limit}`;
  return links;
}
