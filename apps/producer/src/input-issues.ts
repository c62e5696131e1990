import type { z } from 'zod';
import type { InputIssue } from './producer-error.js';

/** `['requests', 3, 'path']` → `requests[3].path`, the way a caller writes it in JavaScript. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? '(body)' : text;
}

export function issuesOfZodError(error: z.ZodError): InputIssue[] {
  return error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
}
