import { readFileSync } from 'node:fs';
import { ConfigError } from '@aiqum-jobs/contracts';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { Secret } from './secret.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads a file as UTF-8. */
export type ReadFile = (path: string) => string;

/** Reads a file as UTF-8 with `fs.readFileSync`: the default of every configuration loader. */
export const readFileUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

/**
 * Reads a configuration file named by the environment variable `variable` and validates it with `schema`.
 * JSON or YAML: YAML 1.2 is a superset of JSON, so one parser reads both formats.
 */
export function readConfigFile<T extends z.ZodType>(
  variable: string,
  path: string,
  schema: T,
  readFile: ReadFile,
): z.output<T> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`${variable} ${path}: cannot be read (${reason})`]);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`${variable} ${path}: is neither valid JSON nor YAML (${reason})`]);
  }
  const parsed = schema.safeParse(document);
  if (!parsed.success) throw ConfigError.fromZod(`${variable} ${path}`, parsed.error);
  return parsed.data;
}

/** Where a credential of a configuration file comes from: exactly one of the three is set. */
export interface SecretSource {
  /** The value itself, written in the file. */
  value?: string | undefined;
  /** A file whose content (trailing newline removed) is the value. */
  file?: string | undefined;
  /** An environment variable holding the value. */
  env?: string | undefined;
}

/**
 * Reads a credential from where the configuration says, wrapped so that it cannot reach a log. `field` is
 * the field name in the file (`password`, `secret`): errors name `passwordFile`, `passwordEnv` and so on.
 */
export function resolveSecret(
  field: string,
  source: SecretSource,
  env: Environment,
  readFile: ReadFile,
): Secret {
  let value = source.value;
  if (source.file !== undefined) {
    try {
      value = readFile(source.file).replace(/\r?\n$/, '');
    } catch {
      throw new Error(`${field}File ${source.file} cannot be read`);
    }
  }
  if (source.env !== undefined) {
    value = env[source.env];
    if (value === undefined || value === '') throw new Error(`${field}Env ${source.env} is not set`);
  }
  if (value === undefined || value === '') throw new Error(`the ${field} is empty`);
  return new Secret(value);
}
