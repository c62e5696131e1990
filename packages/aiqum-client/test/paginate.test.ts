import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AiqumInvalidRequestError, AiqumResponseValidationError } from '../src/index.js';
import { type Harness, harness, origin, rejection } from './helpers.js';

const luns = '/api/storage-provider/luns';
let h: Harness;
afterEach(async () => {
  await h.finish();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

function page(path: string, body: object): void {
  h.pool.intercept({ path, method: 'GET' }).reply(200, body);
}

describe('list', () => {
  it('follows _links.next, relative and same-origin absolute', async () => {
    h = harness();
    page(`${luns}?max_records=2`, {
      records: [{ key: 'a' }, { key: 'b' }],
      num_records: 2,
      _links: { next: { href: `${luns}?max_records=2&offset=2` } },
    });
    page(`${luns}?max_records=2&offset=2`, {
      records: [{ key: 'c' }, { key: 'd' }],
      _links: { next: { href: `${origin}${luns}?max_records=2&offset=4` } },
    });
    page(`${luns}?max_records=2&offset=4`, { records: [{ key: 'e' }], _links: { self: { href: luns } } });
    const records = await collect(h.client.list(luns, { pageSize: 2 }));
    expect(records).toEqual([{ key: 'a' }, { key: 'b' }, { key: 'c' }, { key: 'd' }, { key: 'e' }]);
  });

  it('falls back to offset and max_records while total_records shows more', async () => {
    h = harness();
    page(`${luns}?max_records=2`, {
      records: [{ key: 'a' }, { key: 'b' }],
      num_records: 2,
      total_records: 5,
    });
    page(`${luns}?offset=2&max_records=2`, {
      records: [{ key: 'c' }, { key: 'd' }],
      num_records: 2,
      total_records: 5,
    });
    page(`${luns}?offset=4&max_records=2`, { records: [{ key: 'e' }], num_records: 1, total_records: 5 });
    const records = await collect(h.client.list(luns, { pageSize: 2 }));
    expect(records.map((record) => (record as { key: string }).key)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('stops without a next link when the counts show nothing more', async () => {
    h = harness();
    page(`${luns}?max_records=1000`, { records: [{ key: 'a' }], num_records: 1 });
    await expect(collect(h.client.list(luns))).resolves.toEqual([{ key: 'a' }]);
  });

  it('encodes filters and order_by, passing | and * through', async () => {
    h = harness();
    const expected =
      `${luns}?name=lun%201&svm.name=vs1&state=online|offline&volume.name=vol*` +
      '&space.size=1024&order_by=name%20desc&max_records=50';
    page(expected, { records: [] });
    const records = await collect(
      h.client.list(luns, {
        filters: {
          name: 'lun 1',
          'svm.name': 'vs1',
          state: 'online|offline',
          'volume.name': 'vol*',
          'space.size': 1024,
        },
        orderBy: 'name desc',
        pageSize: 50,
      }),
    );
    expect(records).toEqual([]);
  });

  it('rejects a next link to another origin', async () => {
    h = harness();
    page(`${luns}?max_records=1000`, {
      records: [{ key: 'a' }],
      _links: { next: { href: 'https://evil.test/api/storage-provider/luns?offset=1' } },
    });
    const seen: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const record of h.client.list(luns)) seen.push(record);
      })(),
    );
    expect(error).toBeInstanceOf(AiqumResponseValidationError);
    expect(String(error)).toContain('outside');
    expect(seen).toEqual([{ key: 'a' }]);
  });

  it('rejects a next link that loops back', async () => {
    h = harness();
    page(`${luns}?max_records=1000`, {
      records: [{ key: 'a' }],
      _links: { next: { href: `${luns}?max_records=1000` } },
    });
    await expect(collect(h.client.list(luns))).rejects.toThrow(/loop/);
  });

  it('parses records with a schema and names the failing index', async () => {
    h = harness();
    page(`${luns}?max_records=1000`, { records: [{ key: 'a', name: '/vol/v/l' }, { key: 'b' }] });
    const lun = z.object({ key: z.string(), name: z.string() });
    const typed: Array<z.infer<typeof lun>> = [];
    const error = await rejection(
      (async () => {
        for await (const record of h.client.list(luns, { schema: lun })) typed.push(record);
      })(),
    );
    expect(typed).toEqual([{ key: 'a', name: '/vol/v/l' }]);
    expect(error).toBeInstanceOf(AiqumResponseValidationError);
    expect(String(error)).toContain('record 1');
    expect((error as AiqumResponseValidationError).issues.length).toBeGreaterThan(0);
  });

  it.each([
    ['pageSize above 1000', { pageSize: 1001 }],
    ['a filter named offset', { filters: { offset: 3 } }],
  ])('rejects %s before sending', async (_name, options) => {
    h = harness();
    await expect(collect(h.client.list(luns, options))).rejects.toBeInstanceOf(AiqumInvalidRequestError);
  });

  it('rejects a page without records', async () => {
    h = harness();
    page(`${luns}?max_records=1000`, { items: [] });
    await expect(collect(h.client.list(luns))).rejects.toBeInstanceOf(AiqumResponseValidationError);
  });
});

describe('get', () => {
  it('returns the parsed body, validated by a schema when given', async () => {
    h = harness();
    page('/api/datacenter/cluster/clusters/c1', { key: 'c1', name: 'cluster-1' });
    const cluster = await h.client.get('/api/datacenter/cluster/clusters/c1', {
      schema: z.object({ key: z.string(), name: z.string() }),
    });
    expect(cluster.name).toBe('cluster-1');
  });
});
