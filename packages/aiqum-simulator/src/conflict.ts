import { HttpError } from './errors.js';

/**
 * SPEC's 409: "another object must be created, changed or deleted first". Its own file because errors.ts
 * belongs to the request pipeline; the code is a string, as every simulator error code becomes.
 */
export function conflict(message: string, target?: string): HttpError {
  return new HttpError(409, message, '409', { target });
}
