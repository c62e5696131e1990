import { AiqumInvalidRequestError } from './errors.js';

// SPEC ("Query And Path Parameters"): a value containing query characters (*|,!<>..) must be placed inside
// quotation marks. Whitespace and quotes are quoted too, so the value reaches the filter as one literal.
const needsQuotes = /[|*!<>,"\s]|\.\./;

/**
 * A collection filter value that matches `value` literally, e.g. `exactFilterValue('db|logs')` is
 * `"db|logs"`, so `|`, `*`, `!`, `<`, `>`, `..` and `,` are not read as filter operators. A value without
 * them comes back unchanged. An embedded `"` is escaped as `\"`, the only escape the API documents; a value
 * that must be quoted and holds a backslash is refused, as no documented escape keeps it literal.
 * @throws AiqumInvalidRequestError for such a value (nothing is sent)
 */
export function exactFilterValue(value: string | number | boolean): string {
  const text = String(value);
  if (!needsQuotes.test(text)) return text;
  if (text.includes('\\')) {
    throw new AiqumInvalidRequestError(
      `filter value ${JSON.stringify(text)} needs quotes and contains a backslash, which the AIQUM API documents no escape for`,
    );
  }
  return `"${text.replaceAll('"', '\\"')}"`;
}
