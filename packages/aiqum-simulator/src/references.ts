import { z } from 'zod';
import type { Collection, Keyed } from './collection.js';
import { invalidField, missingReference, notFound } from './errors.js';

/** A reference in a write body: by `key` or by `name`. */
export const refSchema = z
  .object({ key: z.string().min(1).optional(), name: z.string().min(1).optional() })
  .refine((r) => r.key !== undefined || r.name !== undefined, { message: 'give "key" or "name"' });

export type RefInput = z.output<typeof refSchema>;

/** Finds the referenced record (within `where`) or answers 400 naming the field. */
export function resolveRef<T extends Keyed>(
  collection: Collection<T>,
  ref: RefInput,
  target: string,
  where: (record: T) => boolean = () => true,
): T {
  if (ref.key !== undefined) {
    const found = collection.get(ref.key);
    if (found && where(found)) return found;
    throw missingReference(`${target}.key`, ref.key);
  }
  const name = ref.name ?? '';
  const found = collection.findByName(name, where);
  if (found) return found;
  throw missingReference(`${target}.name`, name);
}

/** The record a path's `{key}` names, or 404. */
export function requireKey<T extends Keyed>(
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
