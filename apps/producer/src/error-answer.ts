import type { FastifyError, FastifyReply } from 'fastify';
import type { ErrorBody } from './api-schemas.js';
import { ProducerError, producerErrorCodes } from './producer-error.js';

export function errorBody(code: string, message: string, extra: Partial<ErrorBody['error']> = {}): ErrorBody {
  return { error: { code, message, ...extra } };
}

/** The status and body in the API's error shape of anything a route throws. */
export function errorAnswer(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ProducerError) {
    const extra: Partial<ErrorBody['error']> = {};
    if (error.issues) extra.issues = error.issues;
    if (error.details) extra.details = error.details;
    return { status: error.status, body: errorBody(error.code, error.message, extra) };
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) {
    return { status, body: errorBody(producerErrorCodes.bodyTooLarge, 'the request body is too large') };
  }
  if (status === 415) {
    return { status, body: errorBody(producerErrorCodes.unsupportedMediaType, 'send application/json') };
  }
  if (status >= 400 && status < 500) {
    const message = fastifyError.message ?? 'bad request';
    return {
      status: 400,
      body: errorBody(producerErrorCodes.validationFailed, message, {
        issues: [{ path: '(body)', message }],
      }),
    };
  }
  return { status: 500, body: errorBody(producerErrorCodes.internal, 'internal error') };
}

export function unauthorized(reply: FastifyReply): ProducerError {
  reply.header('www-authenticate', 'Bearer');
  return new ProducerError(producerErrorCodes.unauthorized, 'a valid bearer token is required');
}
