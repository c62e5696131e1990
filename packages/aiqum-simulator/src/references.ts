import { z } from 'zod';
import type { Addressable, Collection } from './collection.js';
import { invalidField, missingReference, notFound } from './errors.js';

/**
 * A reference in a write body: `{key}`, as the specification's writes take them. A body that names the
 * object instead (`{name: ...}`) is refused with the target `<field>.key`: NetApp's own clients look
 * every name up first and send the key.
 */
export const refSchema = z.object({
  key: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'a key is required: give "key" (look the object up by name first), not a name'
          : 'must be a string',
    })
    .min(1, 'a key is required'),
});

export type RefInput = z.output<typeof refSchema>;

/** Finds the referenced record (within `where`) or answers 400 naming the field. */
export function resolveRef<T extends Addressable>(
  collection: Collection<T>,
  ref: RefInput,
  target: string,
  where: (record: T) => boolean = () => true,
): T {
  const found = collection.get(ref.key);
  if (found && where(found)) return found;
  throw missingReference(`${target}.key`, ref.key);
}

/** The record a path's `{key}` names, or 404. */
export function requireKey<T extends Addressable>(
  collection: Collection<T>,
  key: string | undefined,
  label: string,
): T {
  const found = collection.get(key ?? '');
  if (!found) throw notFound(`${label} "${key}"`, 'key');
  return found;
}

/** A write that changes nothing is refused rather than turned into an empty job. */
export function requireSomeField(body: object): void {
  if (Object.values(body).every((v) => v === undefined))
    throw invalidField('body', 'Give at least one field to change');
}

/**
 * LUN and file-share PATCHes change one property per call (SPEC); NetApp's clients send one PATCH per
 * property. None or several is a 400 whose target names the property that is one too many.
 */
export function requireOneField(body: Record<string, unknown>): string {
  const given = Object.entries(body)
    .filter(([, value]) => value !== undefined)
    .map(([name]) => name);
  const [first, second] = given;
  if (first === undefined) throw invalidField('body', 'Give the one property to change');
  if (second !== undefined) {
    throw invalidField(
      second,
      `Only one property can be modified per request; this one gives ${given.map((g) => `"${g}"`).join(', ')}`,
    );
  }
  return first;
}
