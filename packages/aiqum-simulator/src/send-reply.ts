import type { ServerResponse } from 'node:http';
import type { Reply } from './router.js';
import type { ResponseFault } from './scenario.js';

/** An answer without a JSON body: `text` as text/plain, or no body at all when it is empty. */
export interface PlainReply {
  status: number;
  text: string;
  headers?: Record<string, string>;
}

/** Writes an answer whose body is not JSON. */
export function sendPlain(res: ServerResponse, reply: PlainReply): void {
  res.writeHead(reply.status, {
    ...reply.headers,
    ...(reply.text === '' ? {} : { 'content-type': 'text/plain; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(reply.text)),
  });
  res.end(reply.text);
}

/**
 * Writes a JSON reply, or spoils it on purpose. `reset` drops the connection without an answer;
 * `malformedJson` sends a complete body that is not JSON; `truncatedJson` promises the full length,
 * sends half and drops the connection; `missingJobReference` leaves the job's `key` and `uuid` out.
 */
export function sendReply(res: ServerResponse, reply: Reply, fault?: ResponseFault): void {
  if (fault === 'reset') {
    res.socket?.destroy();
    return;
  }
  const json = JSON.stringify(fault === 'missingJobReference' ? withoutJobReference(reply.body) : reply.body);
  const payload = fault === 'malformedJson' ? `)]}'\n${json}` : json;
  const length = Buffer.byteLength(payload);
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': 'application/json',
    'content-length': String(length),
  });
  if (fault === 'truncatedJson') {
    res.write(payload.slice(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
    return;
  }
  res.end(payload);
}

/** `{job: {key, _links}}` → `{job: {_links}}`: an answer that names no job to poll. */
function withoutJobReference(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || !('job' in body)) return body;
  const { job } = body;
  if (typeof job !== 'object' || job === null) return body;
  const { key: _key, uuid: _uuid, ...rest } = job as Record<string, unknown>;
  return { ...body, job: rest };
}
