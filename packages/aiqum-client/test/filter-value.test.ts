import { afterEach, describe, expect, it } from 'vitest';
import { AiqumInvalidRequestError, exactFilterValue } from '../src/index.js';
import { type Harness, harness } from './helpers.js';

describe('exactFilterValue', () => {
  it.each([
    ['vs1', 'vs1'],
    ['/vol/vol_db01/lun_db01', '/vol/vol_db01/lun_db01'],
    ['c1:type=vserver,uuid=u1', '"c1:type=vserver,uuid=u1"'],
    ['db|logs', '"db|logs"'],
    ['lun*', '"lun*"'],
    ['!gold', '"!gold"'],
    ['<10', '"<10"'],
    ['>10', '">10"'],
    ['1..5', '"1..5"'],
    ['v1.2', 'v1.2'],
    ['Extreme Performance', '"Extreme Performance"'],
    ['tab\there', '"tab\there"'],
    ['node_name="50:0A"', '"node_name=\\"50:0A\\""'],
    ['ENGDOMAIN\\ad_user', 'ENGDOMAIN\\ad_user'],
    [42, '42'],
    [true, 'true'],
  ])('%j becomes %s', (value, expected) => {
    expect(exactFilterValue(value)).toBe(expected);
  });

  it('refuses a value that needs quotes and holds a backslash, saying why', () => {
    expect(() => exactFilterValue('DOMAIN\\user*')).toThrow(AiqumInvalidRequestError);
    expect(() => exactFilterValue('DOMAIN\\user*')).toThrow(/backslash/);
  });
});

describe('exactFilterValue in list filters', () => {
  let h: Harness;
  afterEach(async () => {
    await h.finish();
  });

  it('sends the quoted value percent-encoded, with operators kept inside the quotes', async () => {
    h = harness();
    h.pool
      .intercept({
        path: '/api/storage-provider/performance-service-levels?name=%22Extreme%20Performance%22&svm.name=%22a|b%22&max_records=1000',
        method: 'GET',
      })
      .reply(200, { records: [{ key: 'p1' }], num_records: 1 });
    const found: unknown[] = [];
    for await (const record of h.client.list('/api/storage-provider/performance-service-levels', {
      filters: { name: exactFilterValue('Extreme Performance'), 'svm.name': exactFilterValue('a|b') },
    })) {
      found.push(record);
    }
    expect(found).toEqual([{ key: 'p1' }]);
  });
});
