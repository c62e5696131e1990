import type { FastifyRequest } from 'fastify';
import { ProducerError, producerErrorCodes } from './producer-error.js';

// A loopback name or address, with an optional port: what a client on this machine puts in `Host`.
const loopbackHost = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

/**
 * Why a request without tokens is refused, if it is. The socket alone is not enough: a page of another site
 * can rebind its name to 127.0.0.1 (its `Host` is then that name) or post from the browser (its `Origin`).
 */
export function loopbackRefusal(request: FastifyRequest): ProducerError | undefined {
  if (!isLoopbackAddress(request.socket.remoteAddress)) {
    return new ProducerError(producerErrorCodes.forbidden, 'this API serves loopback clients only');
  }
  if (!loopbackHost.test(request.headers.host ?? '')) {
    return new ProducerError(
      producerErrorCodes.forbiddenHost,
      'without tokens this API answers only a loopback Host (localhost, 127.0.0.1, [::1])',
    );
  }
  const origin = request.headers.origin;
  if (
    (origin !== undefined && !isLoopbackOrigin(origin)) ||
    request.headers['sec-fetch-site'] === 'cross-site'
  ) {
    return new ProducerError(
      producerErrorCodes.crossOrigin,
      'without tokens this API refuses pages of other sites',
    );
  }
  return undefined;
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function isLoopbackOrigin(origin: string): boolean {
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  return (url.protocol === 'http:' || url.protocol === 'https:') && loopbackHost.test(url.host);
}
