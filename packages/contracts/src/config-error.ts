import type { z } from 'zod';

/** Start-up configuration is wrong; the message lists every problem with where it comes from. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }

  /** Turns zod issues into problems prefixed with their source, e.g. `AIQUM_TARGETS_FILE targets[0].url`. */
  static fromZod(source: string, error: z.ZodError): ConfigError {
    return new ConfigError(
      error.issues.map((issue) => `${source}${formatIssuePath(issue.path)}: ${issue.message}`),
    );
  }
}

function formatIssuePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '';
  const text = path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
  return ` ${text}`;
}
