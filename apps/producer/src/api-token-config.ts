import { ConfigError, targetNameSchema } from '@aiqum-jobs/contracts';
import { type Environment, type ReadFile, readConfigFile, resolveSecret, Secret } from '@aiqum-jobs/core';
import { z } from 'zod';
import { type ApiScope, apiScopeSchema } from './api-scopes.js';

/** Shortest token accepted: shorter ones can be guessed. */
export const minTokenLength = 16;

/** One API token as written in `PRODUCER_TOKENS_FILE` or `PRODUCER_TOKENS`, before its value is resolved. */
export const apiTokenEntrySchema = z
  .object({
    /** Who holds it: shown in logs and kept as `submittedBy`; letters, digits, `.`, `_`, `-`. */
    name: targetNameSchema,
    /** The token itself; prefer `tokenFile` or `tokenEnv` so it stays out of the file. */
    token: z.string().min(1).optional(),
    /** A file whose content (trailing newline removed) is the token. */
    tokenFile: z.string().min(1).optional(),
    /** An environment variable holding the token. */
    tokenEnv: z.string().min(1).optional(),
    scopes: z.array(apiScopeSchema).min(1, 'list at least one scope'),
    /** The only targets the token may submit to, act on and read; absent: every target. */
    targets: z.array(targetNameSchema).min(1, 'list at least one target, or leave targets out').optional(),
  })
  .strict()
  .refine(
    (entry) =>
      [entry.token, entry.tokenFile, entry.tokenEnv].filter((source) => source !== undefined).length === 1,
    { message: 'set exactly one of token, tokenFile, tokenEnv', path: ['token'] },
  );

export type ApiTokenEntry = z.output<typeof apiTokenEntrySchema>;

/** `PRODUCER_TOKENS_FILE` (JSON or YAML) and `PRODUCER_TOKENS` (JSON) hold this document. */
export const apiTokensDocumentSchema = z.object({ tokens: z.array(apiTokenEntrySchema) }).strict();

/** A token the API accepts, its value resolved and wrapped so that it cannot reach a log. */
export interface ApiToken {
  readonly name: string;
  readonly token: Secret;
  readonly scopes: readonly ApiScope[];
  /** Undefined: every target. */
  readonly targets?: readonly string[];
}

/** Where tokens are configured; their tokens add up. */
export interface ApiTokenSources {
  /** `PRODUCER_API_TOKENS`: unnamed tokens, each named `token-<n>` by its position and given every scope. */
  unnamed: readonly string[];
  /** `PRODUCER_TOKENS_FILE`: a path. */
  file: string | undefined;
  /** `PRODUCER_TOKENS`: the JSON document itself. */
  json: string | undefined;
}

export interface ApiTokenContext {
  env: Environment;
  readFile: ReadFile;
  /** Configured target names: a token can only be limited to these. */
  targets: ReadonlySet<string>;
}

/**
 * The tokens of every source, checked together: names and tokens are unique across sources, each token is
 * long enough, and each target it is limited to is configured. Every problem is reported at once.
 */
export function loadApiTokens(sources: ApiTokenSources, context: ApiTokenContext): ApiToken[] {
  const tokens = unnamedApiTokens(sources.unnamed);
  const entries: ApiTokenEntry[] = [];
  if (sources.file !== undefined) {
    const document = readConfigFile(
      'PRODUCER_TOKENS_FILE',
      sources.file,
      apiTokensDocumentSchema,
      context.readFile,
    );
    entries.push(...document.tokens);
  }
  if (sources.json !== undefined) entries.push(...parseTokensJson(sources.json).tokens);

  const problems: string[] = [];
  for (const entry of entries) {
    const resolved = resolveToken(entry, context);
    if (typeof resolved === 'string') problems.push(`token ${entry.name}: ${resolved}`);
    else tokens.push(resolved);
  }
  const names = new Set<string>();
  const values = new Map<string, string>();
  for (const { name, token } of tokens) {
    if (names.has(name)) problems.push(`token ${name}: another token has this name`);
    names.add(name);
    const sameValue = values.get(token.reveal());
    if (sameValue !== undefined) problems.push(`token ${name}: the same token as ${sameValue}`);
    values.set(token.reveal(), name);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return tokens;
}

/**
 * Tokens of `PRODUCER_API_TOKENS`, which predates names and scopes: each may do everything, as before, and
 * is named by its position in the list (`token-1`, `token-2`...), which never reveals anything of it.
 */
export function unnamedApiTokens(values: readonly string[]): ApiToken[] {
  return values.map((value, index) => ({
    name: `token-${index + 1}`,
    token: new Secret(value),
    scopes: ['admin'],
  }));
}

function parseTokensJson(text: string): z.output<typeof apiTokensDocumentSchema> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`PRODUCER_TOKENS: is not JSON (${reason})`]);
  }
  const parsed = apiTokensDocumentSchema.safeParse(document);
  if (!parsed.success) throw ConfigError.fromZod('PRODUCER_TOKENS', parsed.error);
  return parsed.data;
}

/** The token of an entry, or why it cannot be used. */
function resolveToken(entry: ApiTokenEntry, context: ApiTokenContext): ApiToken | string {
  const unknownTargets = (entry.targets ?? []).filter((target) => !context.targets.has(target));
  if (unknownTargets.length > 0) {
    return `targets ${unknownTargets.join(', ')} are not configured (configured: ${[...context.targets].join(', ')})`;
  }
  let token: Secret;
  try {
    const source = { value: entry.token, file: entry.tokenFile, env: entry.tokenEnv };
    token = resolveSecret('token', source, context.env, context.readFile);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (token.reveal().length < minTokenLength) return `the token is shorter than ${minTokenLength} characters`;
  return {
    name: entry.name,
    token,
    scopes: entry.scopes,
    ...(entry.targets === undefined ? {} : { targets: entry.targets }),
  };
}
