import { parseArgs } from 'node:util';
import { z } from 'zod';

export const scenarioNames = [
  'throughput',
  'capacity',
  'latency',
  'peers',
  'names',
  'idle',
  'dependencies',
] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const usage = `Usage: npm run bench -- <${scenarioNames.join('|')}|all> [--quick] [--workers N] [--cpu-prof]

  --quick       sizes divided by 10-20, so each scenario runs in a minute or two
  --workers N   worker processes of the throughput, names and dependencies scenarios (default 2; the others use 1)
  --cpu-prof    run the workers with node --cpu-prof and report where their time goes

Redis: REDIS_URL when set, else a redis-server of the bench's own on a free port (preferred: then
INFO commandstats and MONITOR see the bench's commands only). Results: bench/results/<scenario>-<time>.json.
`;

const optionsSchema = z.object({
  scenarios: z.array(z.enum(scenarioNames)).min(1),
  quick: z.boolean(),
  workers: z.coerce.number().int().min(1).max(16),
  cpuProfile: z.boolean(),
});
export type BenchOptions = z.output<typeof optionsSchema>;

/** The command line, validated; `help` when asked for or when it does not parse. */
export function parseBenchOptions(args: string[]): BenchOptions | { help: true; error?: string } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        quick: { type: 'boolean', default: false },
        workers: { type: 'string', default: '2' },
        'cpu-prof': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return { help: true, error: error instanceof Error ? error.message : String(error) };
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals.length !== 1) return { help: true };
  const scenario = positionals[0];
  const checked = optionsSchema.safeParse({
    scenarios: scenario === 'all' ? [...scenarioNames] : [scenario],
    quick: values.quick,
    workers: values.workers,
    cpuProfile: values['cpu-prof'],
  });
  if (!checked.success) return { help: true, error: z.prettifyError(checked.error) };
  return checked.data;
}
