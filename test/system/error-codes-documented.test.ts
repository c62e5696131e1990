import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requestErrorCodes } from '@aiqum-jobs/contracts';
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
