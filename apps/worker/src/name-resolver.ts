import { randomUUID } from 'node:crypto';
import { AiqumAbortError, type AiqumClient, AiqumError, exactFilterValue } from '@aiqum-jobs/aiqum-client';
import {
  type CreatedObject,
  type FoundReference,
  type Logger,
  type ObjectKindName,
  objectKinds,
  type RequestError,
  type ResolvedReference,
  requestEndings,
} from '@aiqum-jobs/contracts';
import type { TargetCallGate, TargetConfig } from '@aiqum-jobs/core';
import { z } from 'zod';
import { describeError, retryAfterOf } from './aiqum-error-facts.js';

/** Enough to tell a caller which objects an ambiguous name matched. */
const maxCandidates = 10;
/** Names remembered per target at most; the oldest go first (a path by name adds one per object). */
const maxCachedNames = 10_000;

const candidateSchema = z.looseObject({
  key: z.string().min(1),
  name: z.string().optional(),
  svm: z.looseObject({ name: z.string().optional(), key: z.string().optional() }).optional(),
  cluster: z.looseObject({ name: z.string().optional() }).optional(),
});
type Candidate = z.output<typeof candidateSchema>;

/** What a lookup found: a key, or why there is none. */
type LookupResult =
  | { kind: 'found'; key: string }
  | { kind: 'none' }
  | { kind: 'many'; candidates: Candidate[] }
  /** The target's limits leave no call slot now. */
  | { kind: 'limited'; waitMs: number }
  | { kind: 'error'; error: AiqumError };

/** What a search for the object a create names found (see `findCreated`). */
export type CreatedObjectSearch =
  | { kind: 'found'; key: string }
  | { kind: 'none' }
  | { kind: 'many'; keys: string[] }
  | { kind: 'error'; error: AiqumError };

/** The outcome of resolving one request's references. */
export type Resolution =
  | { kind: 'resolved'; resolved: ResolvedReference[] }
  /** A name matches nothing or several objects, or AIQUM refused the lookup: nothing may be submitted. */
  | { kind: 'failed'; error: RequestError }
  /** Try again later: the target's limits, or a lookup that failed for a transient reason. */
  | { kind: 'later'; afterMs: number; error?: RequestError };

export interface NameResolverOptions {
  client: AiqumClient;
  config: TargetConfig;
  gate: TargetCallGate;
  logger: Logger;
  /** Lease of a lookup's call slot: the client's timeout and a margin. */
  leaseMs: number;
  now?: () => number;
}

function describeReference(found: FoundReference): string {
  const { name, svm, cluster, svmKey } = found.reference;
  const qualifiers = [
    svm ? `SVM "${svm.name}"` : svmKey ? `SVM key "${svmKey}"` : '',
    cluster ? `cluster "${cluster.name}"` : '',
  ]
    .filter(Boolean)
    .join(' on ');
  const label = objectKinds[found.kind].label;
  if (name === undefined) return `the ${label} of ${qualifiers}`;
  return `${label} "${name}"${qualifiers ? ` of ${qualifiers}` : ''}`;
}

function describeCandidate(candidate: Candidate): string {
  const where = [candidate.svm?.name ? `SVM ${candidate.svm.name}` : '', candidate.cluster?.name ?? '']
    .filter(Boolean)
    .join(', cluster ');
  return `${candidate.name ?? '(no name)'}${where ? ` (${where})` : ''} key ${candidate.key}`;
}

/**
 * Looks names up on one target, the way NetApp's own clients do before each write: one filtered GET of the
 * object's collection, exact values. Found keys are remembered for `nameCacheSeconds`, and a lookup already
 * under way is shared, so a batch of thousands of writes naming a few SVMs costs a few GETs. A name that
 * matched nothing is never remembered: an object made a minute ago must be found. Every lookup takes a call
 * slot under the target's limits, like any other call.
 */
export class NameResolver {
  readonly #client: AiqumClient;
  readonly #config: TargetConfig;
  readonly #gate: TargetCallGate;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { key: string; until: number }>();
  readonly #inFlight = new Map<string, Promise<LookupResult>>();

  constructor(options: NameResolverOptions) {
    this.#client = options.client;
    this.#config = options.config;
    this.#gate = options.gate;
    this.#logger = options.logger;
    this.#leaseMs = options.leaseMs;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Looks up every reference of a request; the first that cannot be resolved decides. `fresh`: neither a
   * remembered key nor a lookup already under way answers (a request whose dependency may just have made,
   * or replaced, the object); its own lookup is then remembered and shared as any other.
   */
  async resolve(
    references: readonly FoundReference[],
    signal?: AbortSignal,
    options: { fresh?: boolean } = {},
  ): Promise<Resolution> {
    const results = await Promise.all(
      references.map((found) => this.#lookup(found, signal, options.fresh === true)),
    );
    const resolved: ResolvedReference[] = [];
    for (const [index, found] of references.entries()) {
      const result: LookupResult = results[index] ?? { kind: 'none' };
      const what = describeReference(found);
      switch (result.kind) {
        case 'found':
          resolved.push({
            field: found.field,
            kind: found.kind,
            reference: found.reference,
            key: result.key,
          });
          break;
        case 'none':
          return {
            kind: 'failed',
            error: requestEndings.nameNotFound(found.field, what, this.#config.name).error,
          };
        case 'many': {
          const matches = {
            described: result.candidates.map(describeCandidate),
            truncated: result.candidates.length === maxCandidates,
            candidates: result.candidates.map((candidate) => ({
              key: candidate.key,
              name: candidate.name ?? '',
              ...(candidate.svm?.name ? { svm: candidate.svm.name } : {}),
              ...(candidate.cluster?.name ? { cluster: candidate.cluster.name } : {}),
            })),
          };
          return {
            kind: 'failed',
            error: requestEndings.nameAmbiguous(found.field, what, matches, qualifyHint(found)).error,
          };
        }
        case 'limited':
          return { kind: 'later', afterMs: result.waitMs };
        case 'error': {
          // A lookup cut by the worker's shutdown is another worker's to do again, not the request's end.
          if (result.error instanceof AiqumAbortError) return { kind: 'later', afterMs: 0 };
          const { error } = requestEndings.nameLookupFailed(found.field, what, describeError(result.error));
          if (result.error.retryable) {
            return { kind: 'later', afterMs: retryAfterOf(result.error) ?? 0, error };
          }
          return { kind: 'failed', error };
        }
      }
    }
    return { kind: 'resolved', resolved };
  }

  #lookup(found: FoundReference, signal: AbortSignal | undefined, fresh: boolean): Promise<LookupResult> {
    const { name, svm, cluster, svmKey } = found.reference;
    const cacheKey = JSON.stringify([found.kind, name, svm?.name, cluster?.name, svmKey]);
    const cached = this.#cache.get(cacheKey);
    if (cached && cached.until > this.#now() && !fresh)
      return Promise.resolve({ kind: 'found', key: cached.key });
    if (cached) this.#cache.delete(cacheKey);
    const running = this.#inFlight.get(cacheKey);
    if (running && !fresh) return running;
    const lookup = this.#fetch(found, signal)
      .then((result) => {
        if (result.kind === 'found' && this.#config.nameCacheSeconds > 0)
          this.#remember(cacheKey, result.key);
        return result;
      })
      .finally(() => {
        if (this.#inFlight.get(cacheKey) === lookup) this.#inFlight.delete(cacheKey);
      });
    this.#inFlight.set(cacheKey, lookup);
    return lookup;
  }

  #remember(cacheKey: string, key: string): void {
    // A Map keeps insertion order: the first entry is the oldest.
    if (this.#cache.size >= maxCachedNames) {
      const oldest = this.#cache.keys().next();
      if (!oldest.done) this.#cache.delete(oldest.value);
    }
    this.#cache.set(cacheKey, { key, until: this.#now() + this.#config.nameCacheSeconds * 1000 });
  }

  async #fetch(found: FoundReference, signal: AbortSignal | undefined): Promise<LookupResult> {
    const { name, svm, cluster, svmKey } = found.reference;
    const filters: Record<string, string> = {};
    try {
      if (name !== undefined) filters.name = exactFilterValue(name);
      if (svm !== undefined) filters['svm.name'] = exactFilterValue(svm.name);
      if (svmKey !== undefined) filters['svm.key'] = exactFilterValue(svmKey);
      if (cluster !== undefined) filters['cluster.name'] = exactFilterValue(cluster.name);
    } catch (error) {
      if (!(error instanceof AiqumError)) throw error;
      return { kind: 'error', error };
    }
    const leaseId = `lookup:${randomUUID()}`;
    const slot = await this.#gate.take(this.#config.name, this.#config.limits, leaseId, this.#leaseMs);
    if (!slot.taken) return { kind: 'limited', waitMs: slot.waitMs };
    let candidates: Candidate[];
    try {
      // A server that ignores a filter must not make another object's key look like the one asked for.
      candidates = await this.#search(found.kind, filters, (record) => matches(record, found), signal);
    } catch (error) {
      if (!(error instanceof AiqumError)) throw error;
      this.#logger.warn(
        { field: found.field, kind: found.kind, error: error.toJSON() },
        'name lookup failed',
      );
      return { kind: 'error', error };
    } finally {
      await this.#gate.release(this.#config.name, leaseId);
    }
    const [only] = candidates;
    if (only === undefined) return { kind: 'none' };
    if (candidates.length > 1) return { kind: 'many', candidates };
    return { kind: 'found', key: only.key };
  }

  /** The records of a kind the filters and `accept` match, at most {@link maxCandidates}. */
  async #search(
    kind: ObjectKindName,
    filters: Record<string, string>,
    accept: (record: Candidate) => boolean,
    signal: AbortSignal | undefined,
  ): Promise<Candidate[]> {
    const candidates: Candidate[] = [];
    for await (const record of this.#client.list(objectKinds[kind].collection, {
      filters,
      schema: candidateSchema,
      pageSize: maxCandidates,
      ...(signal ? { signal } : {}),
    })) {
      if (accept(record)) candidates.push(record);
      if (candidates.length >= maxCandidates) break;
    }
    return candidates;
  }

  /**
   * Looks for the object a create names, for reconciliation: never from the cache (it may have been made a
   * moment ago), under the call slot the caller holds. A LUN is named by its path, `/vol/<volume>/<name>`:
   * it is searched by the end of it. Undefined when the name cannot be searched for exactly.
   */
  async findCreated(created: CreatedObject, signal?: AbortSignal): Promise<CreatedObjectSearch | undefined> {
    const { name, svm, svmKey, cluster } = created.reference;
    if (name === undefined) return undefined;
    const filters: Record<string, string> = {};
    try {
      if (created.nameIsPathEnd) {
        // Unquoted, for the wildcard: a name with filter operators in it cannot be searched by its end.
        if (/[|*!<>,"\s/]|\.\./.test(name)) return undefined;
        filters.name = `*/${name}`;
      } else filters.name = exactFilterValue(name);
      if (svm !== undefined) filters['svm.name'] = exactFilterValue(svm.name);
      if (svmKey !== undefined) filters['svm.key'] = exactFilterValue(svmKey);
      if (cluster !== undefined) filters['cluster.name'] = exactFilterValue(cluster.name);
    } catch (error) {
      if (!(error instanceof AiqumError)) throw error;
      return undefined;
    }
    const named = (record: Candidate): boolean =>
      (created.nameIsPathEnd ? record.name?.endsWith(`/${name}`) === true : record.name === name) &&
      (svm === undefined || record.svm?.name === undefined || record.svm.name === svm.name) &&
      (svmKey === undefined || record.svm?.key === undefined || record.svm.key === svmKey) &&
      (cluster === undefined || record.cluster?.name === undefined || record.cluster.name === cluster.name);
    try {
      const found = await this.#search(created.kind, filters, named, signal);
      const [only] = found;
      if (only === undefined) return { kind: 'none' };
      if (found.length > 1) return { kind: 'many', keys: found.map((record) => record.key) };
      return { kind: 'found', key: only.key };
    } catch (error) {
      if (!(error instanceof AiqumError)) throw error;
      return { kind: 'error', error };
    }
  }
}

/** Whether a record the server returned is the one named: each field it shows must equal the reference's. */
function matches(record: Candidate, found: FoundReference): boolean {
  const { name, svm, cluster } = found.reference;
  if (name !== undefined && record.name !== undefined && record.name !== name) return false;
  if (svm !== undefined && record.svm?.name !== undefined && record.svm.name !== svm.name) return false;
  return !(
    cluster !== undefined &&
    record.cluster?.name !== undefined &&
    record.cluster.name !== cluster.name
  );
}

/** How to make an ambiguous reference name one object. */
function qualifyHint(found: FoundReference): string {
  const qualifiers: readonly string[] = objectKinds[found.kind].qualifiers;
  const missing = qualifiers.filter(
    (qualifier) => found.reference[qualifier as 'svm' | 'cluster'] === undefined,
  );
  return missing.length > 0 ? `qualify it with ${missing.join(' or ')}, or give its key` : 'give its key';
}
