import { objectKinds, type ResolvedReference } from '@aiqum-jobs/contracts';

/**
 * A resolved reference as one line a person reads: where it stood, what it named, and the key sent in its
 * place. Names and keys are printed as JSON strings, so no control character reaches the terminal.
 */
export function resolvedLine({ field, kind, reference, key }: ResolvedReference): string {
  const label = kind in objectKinds ? objectKinds[kind as keyof typeof objectKinds].label : kind;
  const qualifiers = (['svm', 'cluster'] as const)
    .map((qualifier) => [qualifier, nameOf(reference[qualifier])] as const)
    .filter(([, name]) => name !== undefined)
    .map(([qualifier, name]) => `${qualifier} ${JSON.stringify(name)}`);
  const name = typeof reference.name === 'string' ? ` ${JSON.stringify(reference.name)}` : '';
  const within = qualifiers.length > 0 ? ` (${qualifiers.join(', ')})` : '';
  return `${field}: ${label}${name}${within} → ${JSON.stringify(key)}`;
}

function nameOf(qualifier: unknown): string | undefined {
  if (typeof qualifier !== 'object' || qualifier === null || !('name' in qualifier)) return undefined;
  return typeof qualifier.name === 'string' ? qualifier.name : undefined;
}
