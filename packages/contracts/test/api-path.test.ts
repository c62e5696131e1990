import { describe, expect, it } from 'vitest';
import { apiPathProblem, requestInputSchema } from '../src/index.js';

// The full list of accepted and refused paths is in aiqum-client's parseApiPath tests, which share this check.
describe('apiPathProblem', () => {
  it('finds no problem in a path under /api/, query included', () => {
    expect(apiPathProblem('/api/storage-provider/luns?name=lun1')).toBeUndefined();
  });

  it('names the path and the reason when a path could escape /api/', () => {
    expect(apiPathProblem('/api/%2e%2e/admin')).toBe(
      'invalid AIQUM path "/api/%2e%2e/admin": contains a . or .. segment',
    );
  });

  it('is the problem a request input reports for its path', () => {
    const parsed = requestInputSchema.safeParse({ method: 'GET', path: '//evil.example/api/luns' });
    expect(parsed.error?.issues).toMatchObject([
      { path: ['path'], message: 'invalid AIQUM path "//evil.example/api/luns": must not name a host' },
    ]);
  });
});
