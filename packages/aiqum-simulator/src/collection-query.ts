import { invalidField } from './errors.js';

/** At most this many records per page, whatever `max_records` asks (AIQUM's documented cap). */
export const maxRecordsCap = 1000;

/** Query parameters that page or shape an answer rather than filter it. */
const controlParams = new Set([
  'max_records',
  'offset',
  'order_by',
  'fields',
  'return_records',
  'return_timeout',
]);

export interface CollectionPage<T> {
  records: T[];
  num_records: number;
  total_records: number;
  _links: { self: { href: string }; next?: { href: string } };
}

export interface CollectionQueryOptions {
  /** Path and query the caller used, for `_links`. */
  path: string;
  query: URLSearchParams;
  /** Extra parameters that are not filters (such as the long-poll parameter). */
  ignore?: ReadonlySet<string>;
}

/** Leaf values at a dotted path, descending into arrays (`lun_maps.igroup.name`). */
function valuesAt(value: unknown, parts: readonly string[]): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesAt(item, parts));
  const [head, ...rest] = parts;
  if (head === undefined) return [value];
  if (value === null || typeof value !== 'object') return [];
  return valuesAt((value as Record<string, unknown>)[head], rest);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()[\]\\]/g, '\\$&');
}

/** `a|b*`: any alternative, `*` a wildcard; everything else compares exactly. */
function valueMatcher(pattern: string): (value: unknown) => boolean {
  const alternatives = pattern.split('|').map((alt) => {
    if (!alt.includes('*')) return (text: string) => text === alt;
    const regex = new RegExp(`^${alt.split('*').map(escapeRegExp).join('.*')}$`, 's');
    return (text: string) => regex.test(text);
  });
  return (value) => {
    if (value === undefined || value === null || typeof value === 'object') return false;
    const text = String(value);
    return alternatives.some((matches) => matches(text));
  };
}

/** The query's `[field, pattern]` filters: every parameter that does not page or shape the answer. */
export function filterParams(query: URLSearchParams, ignore?: ReadonlySet<string>): Array<[string, string]> {
  return [...query].filter(([name]) => !controlParams.has(name) && !ignore?.has(name));
}

function parseNonNegativeInt(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw invalidField(name, `"${name}" must be a non-negative integer`);
  return Number(raw);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return String(a).localeCompare(String(b));
}

/** Filters, orders and pages a collection the way AIQUM's collection GETs do. */
export function queryCollection<T extends object>(
  all: readonly T[],
  options: CollectionQueryOptions,
): CollectionPage<T> {
  const { query } = options;
  const filters = filterParams(query, options.ignore).map(([name, pattern]) => ({
    parts: name.split('.'),
    matches: valueMatcher(pattern),
  }));
  const limit = Math.min(parseNonNegativeInt(query, 'max_records', maxRecordsCap), maxRecordsCap);
  const offset = parseNonNegativeInt(query, 'offset', 0);

  let candidates = all;
  if (filters.length > 0) {
    candidates = candidates.filter((record) =>
      filters.every((f) => valuesAt(record, f.parts).some((value) => f.matches(value))),
    );
  }
  const orderBy = query.get('order_by');
  if (orderBy !== null) {
    const match = /^([\w.]+)(?:\s+(asc|desc))?$/i.exec(orderBy.trim());
    const field = match?.[1];
    if (field === undefined)
      throw invalidField('order_by', '"order_by" must be "<field>" or "<field> asc|desc"');
    const sign = match?.[2]?.toLowerCase() === 'desc' ? -1 : 1;
    const parts = field.split('.');
    candidates = [...candidates].sort((a, b) => sign * compare(valuesAt(a, parts)[0], valuesAt(b, parts)[0]));
  }

  const records = candidates.slice(offset, offset + limit);
  const self = query.size > 0 ? `${options.path}?${query.toString()}` : options.path;
  const page: CollectionPage<T> = {
    records,
    num_records: records.length,
    total_records: candidates.length,
    _links: { self: { href: self } },
  };
  if (offset + records.length < candidates.length && records.length > 0) {
    const next = new URLSearchParams(query);
    next.set('offset', String(offset + records.length));
    next.set('max_records', String(limit));
    page._links.next = { href: `${options.path}?${next.toString()}` };
  }
  return page;
}
