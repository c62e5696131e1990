import { z } from 'zod';
import { parseApiPath, resolveServerLink } from './api-path.js';
import { AiqumInvalidRequestError, AiqumResponseValidationError } from './errors.js';

/** AIQUM returns at most this many records per page, whatever `max_records` asks for. */
export const maxPageSize = 1000;

const filterValueSchema = z.union([z.string(), z.number(), z.boolean()]);
// Paging parameters are the iterator's job; a filter with one of these names would break it.
const reservedParameters = new Set(['offset', 'max_records', 'order_by']);

const listOptionsSchema = z.strictObject({
  filters: z
    .record(
      z
        .string()
        .min(1)
        .refine(
          (name) => !reservedParameters.has(name),
          'offset, max_records and order_by are set by list()',
        ),
      filterValueSchema,
    )
    .optional(),
  orderBy: z.string().min(1).optional(),
  pageSize: z.number().int().min(1).max(maxPageSize).default(maxPageSize),
  schema: z.custom<z.ZodType>((value) => value instanceof z.ZodType).optional(),
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
});

export interface ListOptions<T> {
  /**
   * Query filters, e.g. `{ 'svm.name': 'vs1', state: 'online|offline', name: 'lun*' }`. Values are AIQUM
   * filter syntax (`|` or, `*` wildcard, `!`, `<`, `>`, `..`) and sent as they are; to match a value
   * literally (a name or key holding `,`, `|`, `*`, spaces...), pass it through `exactFilterValue`.
   * @defaultValue no filters
   */
  filters?: Record<string, string | number | boolean>;
  /**
   * `order_by` parameter, e.g. `name desc`.
   * @defaultValue server order
   */
  orderBy?: string;
  /**
   * `max_records` per page, 1 to 1000 (AIQUM's cap).
   * @defaultValue 1000
   */
  pageSize?: number;
  /**
   * Parses each record; a failure names the record's index.
   * @defaultValue records are returned as `unknown`
   */
  schema?: z.ZodType<T>;
  signal?: AbortSignal;
}

const pageSchema = z.looseObject({
  records: z.array(z.unknown()),
  num_records: z.number().int().min(0).optional(),
  total_records: z.number().int().min(0).optional(),
  _links: z.looseObject({ next: z.looseObject({ href: z.string() }).optional() }).optional(),
});

export interface PageSource {
  origin: string;
  /** GET with retries, parsed JSON body. */
  getJson: (path: string, signal: AbortSignal | undefined) => Promise<unknown>;
}

function encodeFilterValue(value: string | number | boolean): string {
  // encodeURIComponent leaves `*` alone; `|` must also reach AIQUM as itself.
  return encodeURIComponent(String(value)).replaceAll('%7C', '|');
}

function withQuery(path: string, parameters: string[]): string {
  if (parameters.length === 0) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${parameters.join('&')}`;
}

/**
 * Iterates over the `records` of a collection, page by page. Follows `_links.next`; without one, falls
 * back to `offset` while `total_records` (or `num_records`) says more records exist.
 */
export async function* paginate<T>(
  path: string,
  optionsInput: ListOptions<T>,
  source: PageSource,
): AsyncGenerator<T, void, undefined> {
  const basePath = parseApiPath(path);
  const parsed = listOptionsSchema.safeParse(optionsInput);
  if (!parsed.success) {
    throw new AiqumInvalidRequestError(`invalid list options: ${z.prettifyError(parsed.error)}`, {
      method: 'GET',
      path,
    });
  }
  const { filters = {}, orderBy, pageSize, signal } = parsed.data;
  const recordSchema = optionsInput.schema;
  const query = Object.entries(filters).map(
    ([name, value]) => `${encodeURIComponent(name)}=${encodeFilterValue(value)}`,
  );
  if (orderBy !== undefined) query.push(`order_by=${encodeURIComponent(orderBy)}`);

  const requested = new Set<string>();
  let nextPath: string | undefined = withQuery(basePath, [...query, `max_records=${pageSize}`]);
  let index = 0;
  while (nextPath !== undefined) {
    const pagePath: string = nextPath;
    const context = { method: 'GET', path: pagePath, status: 200 };
    // A server that links a page to itself (or to an earlier one) would otherwise loop forever.
    if (requested.has(pagePath))
      throw new AiqumResponseValidationError('pagination links loop back', context);
    requested.add(pagePath);
    const page = pageSchema.safeParse(await source.getJson(pagePath, signal));
    if (!page.success) {
      throw new AiqumResponseValidationError('collection answer has no records array', {
        ...context,
        issues: page.error.issues,
      });
    }
    for (const record of page.data.records) {
      if (recordSchema === undefined) {
        yield record as T;
      } else {
        const result = recordSchema.safeParse(record);
        if (!result.success) {
          throw new AiqumResponseValidationError(`record ${index} does not match the schema`, {
            ...context,
            issues: result.error.issues,
          });
        }
        yield result.data;
      }
      index += 1;
    }
    const next = page.data._links?.next?.href;
    const total = page.data.total_records ?? page.data.num_records;
    if (next !== undefined) {
      nextPath = resolveServerLink(next, source.origin, { ...context, ambiguous: false });
    } else if (total !== undefined && page.data.records.length > 0 && index < total) {
      nextPath = withQuery(basePath, [...query, `offset=${index}`, `max_records=${pageSize}`]);
    } else {
      nextPath = undefined;
    }
  }
}
