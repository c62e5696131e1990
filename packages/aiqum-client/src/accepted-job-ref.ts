import type { JobRef } from '@aiqum-jobs/contracts';
import { z } from 'zod';
import { resolveServerLink } from './api-path.js';
import { AiqumResponseValidationError } from './errors.js';

const linksSchema = z.object({ self: z.object({ href: z.string() }).optional() }).optional();

// Every 202 shape public sources show; see AIQUM-API.md "Asynchronous calls" and "Gateway APIs".
const acceptedBodySchema = z.union([
  z.object({ job: z.object({ key: z.string().min(1), _links: linksSchema }) }),
  z.object({ job: z.object({ uuid: z.string().min(1), _links: linksSchema }) }),
  z.object({ operationId: z.string().min(1) }),
  z.object({ job_key: z.string().min(1) }),
]);

/** Whether a 202 body names a job in any of the shapes `jobRefFromAccepted` reads. */
export function hasJobReference(body: unknown): boolean {
  return acceptedBodySchema.safeParse(body).success;
}

export interface AcceptedContext {
  method: string;
  /** The submitted path; its API version prefix (`/api/v2`) is reused for the job path. */
  path: string;
  /** The client's origin: links elsewhere are refused. */
  origin: string;
}

function jobsPathFor(submittedPath: string, key: string): string {
  const prefix = /^\/api\/v\d+\//.exec(submittedPath)?.[0] ?? '/api/';
  return `${prefix}management-server/jobs/${encodeURIComponent(key)}`;
}

/**
 * Reads the job reference out of a 202 answer. The write has reached AIQUM by then, so a body without a
 * usable reference is an ambiguous failure: the work may be running and nobody can track it.
 */
export function jobRefFromAccepted(body: unknown, context: AcceptedContext): JobRef {
  const call = { method: context.method, path: context.path };
  const parsed = acceptedBodySchema.safeParse(body);
  if (!parsed.success) {
    throw new AiqumResponseValidationError('answered 202 without a job reference', {
      ...call,
      status: 202,
      issues: parsed.error.issues,
      ambiguous: true,
    });
  }
  const link = (href: string | undefined): string | undefined =>
    href === undefined
      ? undefined
      : resolveServerLink(href, context.origin, { ...call, status: 202, ambiguous: true });
  const value = parsed.data;
  if ('operationId' in value) {
    return {
      kind: 'aiqum',
      key: value.operationId,
      href: jobsPathFor(context.path, value.operationId),
      source: 'operationId',
    };
  }
  if ('job_key' in value) {
    return {
      kind: 'aiqum',
      key: value.job_key,
      href: jobsPathFor(context.path, value.job_key),
      source: 'job_key',
    };
  }
  const job = value.job;
  if ('key' in job) {
    const href = link(job._links?.self?.href) ?? jobsPathFor(context.path, job.key);
    return { kind: 'aiqum', key: job.key, href, source: 'job.key' };
  }
  const href = link(job._links?.self?.href);
  if (href === undefined) {
    throw new AiqumResponseValidationError(`answered 202 with ONTAP job ${job.uuid} but no link to poll it`, {
      ...call,
      status: 202,
      ambiguous: true,
    });
  }
  return { kind: 'ontap', uuid: job.uuid, href, source: 'job.uuid' };
}
