import { afterEach, describe, expect, it } from 'vitest';
import {
  AiqumApiError,
  AiqumBadRequestError,
  AiqumConflictError,
  AiqumNotFoundError,
  AiqumPermissionDeniedError,
  AiqumServerError,
} from '../src/index.js';
import { type Harness, harness, rejection } from './helpers.js';

const path = '/api/storage-provider/luns';

let h: Harness;
afterEach(async () => {
  await h.finish();
});

describe("AIQUM's error code is kept exactly as sent", () => {
  it.each([
    [400, AiqumBadRequestError, '262179'],
    [400, AiqumBadRequestError, '0042'],
    [403, AiqumPermissionDeniedError, 'ERR_FORBIDDEN'],
    [404, AiqumNotFoundError, '4'],
    [409, AiqumConflictError, '-1'],
    [500, AiqumServerError, ' 13001 '],
    [400, AiqumBadRequestError, 262_185],
    [405, AiqumApiError, 3],
  ])('%i with code %j', async (status, type, code) => {
    h = harness();
    h.pool
      .intercept({ path, method: 'POST' })
      .reply(status, { error: { code, message: 'refused', target: 'svm.key' } });
    const error = await rejection(h.client.submit({ method: 'POST', path, body: {} }));
    expect(error).toBeInstanceOf(type);
    const apiError = error as AiqumApiError;
    // Strictly equal: a string code stays a string (leading zeros, spaces and all), a number a number.
    expect(apiError.error.code).toBe(code);
    expect(apiError.error).toEqual({ code, message: 'refused', target: 'svm.key' });
    expect(JSON.parse(JSON.stringify(apiError)).error.code).toBe(code);
    // The client's own code names the class of failure and never replaces AIQUM's.
    expect(apiError.code).toMatch(/^AIQUM_/);
  });

  it.each([
    ['an object', { nested: 1 }],
    ['a boolean', true],
    ['null', null],
  ])('a code that is %s is left out, never coerced', async (_name, code) => {
    h = harness();
    h.pool.intercept({ path, method: 'POST' }).reply(400, { error: { code, message: 'bad' } });
    const error = (await rejection(h.client.submit({ method: 'POST', path, body: {} }))) as AiqumApiError;
    expect(error.error).toEqual({ message: 'bad' });
  });
});
