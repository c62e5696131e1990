/** The body AIQUM (like ONTAP) sends with every error: SPEC's `error_response`, whose `code` is a string. */
export interface ErrorBody {
  error: { message: string; code: string; target?: string };
}

/** Stable error codes, strings as SPEC's `error_response` types them. */
export const errorCodes = {
  notAuthenticated: '6',
  forbidden: '7',
  notFound: '4',
  methodNotAllowed: '3',
  badJson: '262179',
  unsupportedMediaType: '262180',
  bodyTooLarge: '262181',
  invalidField: '262185',
  missingReference: '2',
  duplicateName: '917927',
  tooManyRequests: '429',
  serverError: '500',
  unavailable: '503',
  ontapEntryNotFound: '4',
  jobFailed: '13001',
} as const;

/** An error the router turns into an HTTP answer with an {@link ErrorBody}. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    message: string,
    // ONTAP's job codes are numbers (the gateway answers a failed job with its code): the body's is a string.
    code: string | number,
    options: { target?: string | undefined; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = String(code);
    this.target = options.target;
    this.headers = options.headers ?? {};
  }

  body(): ErrorBody {
    return errorBody(this.message, this.code, this.target);
  }
}

export function errorBody(message: string, code: string, target?: string): ErrorBody {
  return { error: target === undefined ? { message, code } : { message, code, target } };
}

export function notFound(what: string, target?: string): HttpError {
  return new HttpError(404, `${what} not found`, errorCodes.notFound, { target });
}

export function invalidField(target: string, message: string): HttpError {
  return new HttpError(400, message, errorCodes.invalidField, { target });
}

export function missingReference(target: string, value: string): HttpError {
  return new HttpError(
    400,
    `The object "${value}" given in "${target}" does not exist`,
    errorCodes.missingReference,
    {
      target,
    },
  );
}

/** Thrown by a job's effect when it ends: the job fails with this message and changes nothing. */
export class JobFailure extends Error {
  readonly code: string;

  constructor(message: string, code: string = errorCodes.jobFailed) {
    super(message);
    this.name = 'JobFailure';
    this.code = code;
  }
}

/** The failure of a job whose record was removed after its request was accepted. */
export function noLongerExists(label: string, record: { name: string }): JobFailure {
  return new JobFailure(`${label} "${record.name}" no longer exists.`);
}
