import type { z } from 'zod';
import { invalidField } from './errors.js';

/** Validates a write's JSON body; the first issue becomes a 400 whose `target` names the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined) throw invalidField('body', 'A JSON request body is required');
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const target = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  throw invalidField(target, `Invalid value for "${target}": ${issue?.message ?? 'invalid'}`);
}
