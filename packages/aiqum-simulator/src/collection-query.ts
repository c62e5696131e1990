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

/** The parameter of a free-text search, on the collections that have one. */
const searchParam = 'query';
/** Not a filter on a collection that takes `query=`. */
const searchParams: ReadonlySet<string> = new Set([searchParam]);

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
  /** Page size without `max_records`. @defaultValue {@link maxRecordsCap} */
  defaultMaxRecords?: number;
  /** `query=<text>` keeps the records whose name contains the text (case-insensitive). @defaultValue false */
  searchable?: boolean;
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

type Scalar = string | number | boolean;
type Test = (value: Scalar) => boolean;

/** Numbers compare as numbers when both sides are numeric; anything else (ISO dates too) as text. */
function order(value: Scalar, bound: string): number {
  const a = typeof value === 'number' ? value : Number(value);
  const b = Number(bound);
  if (bound.trim() !== '' && Number.isFinite(a) && Number.isFinite(b) && String(value).trim() !== '')
    return a - b;
  const text = String(value);
  return text < bound ? -1 : text > bound ? 1 : 0;
}

/** Splits on `|` outside double quotes; `\"` inside quotes is a quote character, not the end of the quotes. */
function alternativesOf(pattern: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let previous = '';
  for (const char of pattern) {
    if (char === '"' && !(quoted && previous === '\\')) quoted = !quoted;
    previous = char;
    if (char === '|' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/**
 * One alternative of a filter: `"literal"` (quoted: no operator applies; `\"` is an embedded quote, SPEC's
 * only escape), `!x` (not x), `<x`, `>x`, `<=x`, `>=x`, `a..b` (inclusive range), `a*b` (wildcard), else an
 * exact value.
 */
function alternativeTest(alt: string): Test {
  if (alt.length >= 2 && alt.startsWith('"') && alt.endsWith('"') && !alt.endsWith('\\"')) {
    const literal = alt.slice(1, -1).replaceAll('\\"', '"');
    return (value) => String(value) === literal;
  }
  if (alt.startsWith('!')) {
    const inner = alternativeTest(alt.slice(1));
    return (value) => !inner(value);
  }
  const comparison = /^(<=|>=|<|>)(.*)$/s.exec(alt);
  if (comparison) {
    const [, operator, bound = ''] = comparison;
    return (value) => {
      const sign = order(value, bound);
      if (operator === '<') return sign < 0;
      if (operator === '>') return sign > 0;
      if (operator === '<=') return sign <= 0;
      return sign >= 0;
    };
  }
  const range = alt.indexOf('..');
  if (range > 0) {
    const low = alt.slice(0, range);
    const high = alt.slice(range + 2);
    return (value) => order(value, low) >= 0 && order(value, high) <= 0;
  }
  if (alt.includes('*')) {
    const regex = new RegExp(`^${alt.split('*').map(escapeRegExp).join('.*')}$`, 's');
    return (value) => regex.test(String(value));
  }
  return (value) => String(value) === alt;
}

/** `a|b`: any alternative matches. A missing field matches only a negation (`!x`). */
function valueMatcher(pattern: string): (value: unknown) => boolean {
  const alternatives = alternativesOf(pattern).map((alt) => ({
    negated: alt.startsWith('!'),
    test: alternativeTest(alt),
  }));
  return (value) => {
    if (value === undefined || value === null) return alternatives.some((alt) => alt.negated);
    if (typeof value === 'object') return false;
    return alternatives.some((alt) => alt.test(value as Scalar));
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

/** `order_by=name desc,svm.name`: a comma-separated list of `field [asc|desc]`. */
function parseOrderBy(raw: string): Array<{ parts: string[]; sign: number }> {
  return raw.split(',').map((term) => {
    const match = /^([\w.]+)(?:\s+(asc|desc))?$/i.exec(term.trim());
    const field = match?.[1];
    if (field === undefined) {
      throw invalidField('order_by', '"order_by" must be a comma-separated list of "<field> [asc|desc]"');
    }
    return { parts: field.split('.'), sign: match?.[2]?.toLowerCase() === 'desc' ? -1 : 1 };
  });
}

/** Filters, orders and pages a collection the way AIQUM's collection GETs do. */
export function queryCollection<T extends object>(
  all: readonly T[],
  options: CollectionQueryOptions,
): CollectionPage<T> {
  const { query } = options;
  const filters = filterParams(query, options.searchable ? searchParams : undefined).map(
    ([name, pattern]) => ({
      parts: name.split('.'),
      matches: valueMatcher(pattern),
    }),
  );
  const pageSize = options.defaultMaxRecords ?? maxRecordsCap;
  const limit = Math.min(parseNonNegativeInt(query, 'max_records', pageSize), maxRecordsCap);
  const offset = parseNonNegativeInt(query, 'offset', 0);

  let candidates = all;
  if (filters.length > 0) {
    candidates = candidates.filter((record) =>
      filters.every((f) => {
        const values = valuesAt(record, f.parts);
        return (values.length === 0 ? [undefined] : values).some((value) => f.matches(value));
      }),
    );
  }
  const search = options.searchable ? query.get(searchParam) : null;
  if (search !== null && search !== '') {
    const needle = search.toLowerCase();
    candidates = candidates.filter((record) =>
      valuesAt(record, ['name']).some((name) => String(name).toLowerCase().includes(needle)),
    );
  }
  const orderBy = query.get('order_by');
  if (orderBy !== null) {
    const terms = parseOrderBy(orderBy);
    candidates = [...candidates].sort((a, b) => {
      for (const { parts, sign } of terms) {
        const diff = compare(valuesAt(a, parts)[0], valuesAt(b, parts)[0]);
        if (diff !== 0) return sign * diff;
      }
      return 0;
    });
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
    // Every parameter of the request goes into the next link: clients (UMI) follow it as the whole request.
    const next = new URLSearchParams(query);
    next.set('offset', String(offset + records.length));
    next.set('max_records', String(limit));
    page._links.next = { href: `${options.path}?${next.toString()}` };
  }
  return page;
}
