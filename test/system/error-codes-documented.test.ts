import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requestErrorCodes } from '@aiqum-jobs/contracts';
import { producerErrorCodes } from '@aiqum-jobs/producer';
import { describe, expect, it } from 'vitest';

const apiDoc = readFileSync(fileURLToPath(new URL('../../docs/API.md', import.meta.url)), 'utf8');

/** The first column of docs/API.md's error-code table (the one after "### Error codes"). */
function documentedErrorCodes(): string[] {
  const section = apiDoc.slice(apiDoc.indexOf('### Error codes'));
  const table = section.slice(section.indexOf('\n|'), section.indexOf('\n\n', section.indexOf('\n|')));
  const rows = table.trim().split('\n').slice(2);
  return rows.map((row) => /^\|\s*`([A-Z_]+)`/.exec(row)?.[1] ?? `unreadable row: ${row}`);
}

describe("docs/API.md's error-code table", () => {
  it('lists every code of the catalogue (requestErrorCodes) once, and no other', () => {
    const documented = documentedErrorCodes();
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.values(requestErrorCodes).sort());
  });
});

const producerReadme = readFileSync(
  fileURLToPath(new URL('../../apps/producer/README.md', import.meta.url)),
  'utf8',
);

describe("the producer README's table of API errors", () => {
  it('names every code the API answers with (producerErrorCodes), and no other', () => {
    const start = producerReadme.indexOf('| Status    | Codes');
    const table = producerReadme.slice(start, producerReadme.indexOf('\n\n', start));
    // Codes, not the settings named beside them.
    const documented = [...table.matchAll(/`([A-Z][A-Z_]+)`/g)]
      .map((match) => match[1] ?? '')
      .filter((name) => !/^(PRODUCER|WEBHOOKS?)_/.test(name));
    const codes = Object.values(producerErrorCodes);
    expect(codes.filter((code) => !documented.includes(code))).toEqual([]);
    expect(documented.filter((code) => !(codes as readonly string[]).includes(code))).toEqual([]);
  });
});
