/** What a log line keeps of an error. */
export interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: string | number;
  cause?: SerializedError;
}

/** Causes followed at most this deep: a cycle or a long chain must not make a line unbounded. */
const maxCauseDepth = 3;

/**
 * The one way errors reach the logs (`{ err }`): type, message, code, stack and cause, and nothing else.
 * Libraries hang the data of the failed operation on their errors (ioredis the command with its
 * arguments, i.e. request bodies and secrets); none of it is copied.
 */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { type: typeof error, message: String(error) };
  const { code } = error as { code?: unknown };
  return {
    type: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(error.cause !== undefined && depth < maxCauseDepth
      ? { cause: serializeError(error.cause, depth + 1) }
      : {}),
  };
}
