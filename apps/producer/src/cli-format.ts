import { z } from 'zod';
import type { CliOutput } from './watch-batch.js';

/** `-o`: `table` for people, `json` one document, `ndjson` one line per item for tools that stream. */
export const outputFormatSchema = z.enum(['table', 'json', 'ndjson']);
export type OutputFormat = z.output<typeof outputFormatSchema>;

/** A command's result in the three shapes `-o` chooses between. */
export interface CliResult {
  document: unknown;
  items: readonly unknown[];
  table: string;
}

/** The result of a command that answers one object. */
export function singleResult(value: unknown, table: string): CliResult {
  return { document: value, items: [value], table };
}

export function writeResult(out: CliOutput, format: OutputFormat, result: CliResult): void {
  if (format === 'json') out.write(`${JSON.stringify(result.document, null, 2)}\n`);
  else if (format === 'ndjson') for (const item of result.items) out.write(`${JSON.stringify(item)}\n`);
  else out.write(result.table);
}

/** Left-aligned columns two spaces apart; a cell's control characters are escaped so none reach a terminal. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map(printable));
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  '),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** Key-value lines for one object's scalar fields. */
export function formatFields(fields: readonly (readonly [string, unknown])[]): string {
  const rows = fields
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)] as const);
  return formatTable(['field', 'value'], rows);
}

function printable(text: string): string {
  return Array.from(text, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }).join('');
}
