/** Methods `submit` sends: each one is a write, sent once and never retried by the client. */
export type WriteMethod = 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Only these may be repeated without changing anything on the server, so only these are retried. */
export function isIdempotent(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD';
}

export type HttpMethod = 'GET' | 'HEAD' | WriteMethod;
