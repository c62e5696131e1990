import { describe, expect, it } from 'vitest';
import { AiqumInvalidRequestError, parseApiPath } from '../src/index.js';

describe('parseApiPath', () => {
  it.each([
    '/api/storage-provider/luns',
    '/api/v2/storage-provider/luns',
    '/api/gateways/0fa1b2c3-4d5e/storage/volumes?return_timeout=10',
    '/api/management-server/jobs/06a6148bf9e862df%3A-2611856e%3A16e8d47e722%3A-7f87',
    '/api/datacenter/svm/svms?name=vs1|vs2&cluster.name=c*',
    '/api/storage-provider/luns/',
    '/api/a..b/file.name',
  ])('accepts %s', (path) => {
    expect(parseApiPath(path)).toBe(path);
  });

  it.each([
    ['absolute URL', 'https://evil.example/api/luns'],
    ['scheme without slashes', 'javascript:alert(1)'],
    ['protocol-relative host', '//evil.example/api/luns'],
    ['no leading slash', 'api/storage-provider/luns'],
    ['missing /api/ prefix', '/storage-provider/luns'],
    ['bare /api', '/api'],
    ['bare /api/', '/api/'],
    ['prefix look-alike', '/apis/luns'],
    ['dot-dot segment', '/api/../etc/passwd'],
    ['dot-dot at end', '/api/luns/..'],
    ['dot segment', '/api/./luns'],
    ['encoded dot-dot', '/api/%2e%2e/admin'],
    ['mixed-case encoded dot-dot', '/api/%2E./admin'],
    ['half-encoded dot-dot', '/api/.%2E/admin'],
    ['encoded slash', '/api/luns%2f..%2fadmin'],
    ['encoded upper slash', '/api/luns%2Fx'],
    ['encoded backslash', '/api/luns%5cx'],
    ['encoded control in path', '/api/luns%0d%0aX-Injected:1'],
    ['backslash', '/api\\luns'],
    ['carriage return', '/api/luns\r\nHost: evil'],
    ['line feed', '/api/luns\n'],
    ['NUL', '/api/luns\u0000'],
    ['tab', '/api/lu\tns'],
    ['space', '/api/lu ns'],
    ['DEL', '/api/luns\u007f'],
    ['fragment', '/api/luns#x'],
    ['raw Latin-1 letter, sent as one byte by undici', '/api/luns?name=lun_\u00e9'],
    ['C1 control (NEL)', '/api/luns\u0085x'],
    ['no-break space', '/api/lu\u00a0ns'],
    ['right-to-left override', '/api/luns/\u202egnp.exe'],
    ['lone surrogate', '/api/luns/\ud800'],
    ['emoji', '/api/luns/\u{1f600}'],
    ['malformed percent', '/api/luns%zz'],
    ['empty segment', '/api//luns'],
    ['empty string', ''],
    ['Java path parameter escaping /api/', '/api/..;/admin'],
    ['path parameter after a segment', '/api/luns;jsessionid=x/../admin'],
    ['dot segment with a path parameter', '/api/.;/luns'],
    ['encoded semicolon', '/api/..%3b/admin'],
    ['encoded upper semicolon', '/api/luns%3Bx'],
    ['lone encoded dot', '/api/%2e/luns'],
    ['lone encoded upper dot', '/api/%2E/luns'],
    ['upper encoded dot-dot', '/api/%2E%2E/admin'],
    ['encoded dot-dot at end', '/api/luns/%2e%2e'],
    ['double-encoded dot-dot', '/api/%252e%252e/admin'],
    ['double-encoded slash', '/api/luns%252f..%252fadmin'],
    ['double-encoded semicolon', '/api/..%253b/admin'],
    ['encoded four times over', '/api/luns%25252525x'],
    ['overlong UTF-8 dot-dot', '/api/%c0%ae%c0%ae/admin'],
    ['overlong UTF-8 slash', '/api/luns%c0%afadmin'],
    ['full-width dot-dot', '/api/%ef%bc%8e%ef%bc%8e/admin'],
    ['full-width solidus', '/api/luns%ef%bc%8fx'],
    ['triple dot', '/api/.../admin'],
    ['dot-dot with a trailing encoded space', '/api/..%20/admin'],
    ['encoded backslash dot-dot', '/api/luns%5c..%5cadmin'],
    ['backslash dot-dot', '/api/luns\\..\\admin'],
  ])('rejects %s', (_name, path) => {
    let caught: unknown;
    try {
      parseApiPath(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AiqumInvalidRequestError);
    expect(caught).toMatchObject({ code: 'AIQUM_INVALID_REQUEST', retryable: false, ambiguous: false });
  });

  it('accepts non-ASCII characters percent-encoded as UTF-8', () => {
    const path = `/api/storage-provider/luns?name=${encodeURIComponent('lun_\u00e9\u{1f600}')}`;
    expect(parseApiPath(path)).toBe(path);
  });

  it('allows semicolons in the query, and literal percents and dots inside names', () => {
    for (const path of [
      '/api/luns?fields=name;uuid',
      '/api/luns/100%25/x',
      '/api/luns/v1.2..3',
      '/api/luns/.hidden',
    ]) {
      expect(parseApiPath(path)).toBe(path);
    }
  });

  it('allows encoded slashes in the query, where they are data', () => {
    expect(parseApiPath('/api/luns?name=%2Fvol%2Fv1%2Flun1')).toBe('/api/luns?name=%2Fvol%2Fv1%2Flun1');
  });
});
