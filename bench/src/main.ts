import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchOptions, usage } from './bench-options.js';
import { startBenchRedis } from './bench-redis.js';
import { runAndReport } from './bench-run.js';
import { resultsDir } from './repo-paths.js';
import { runScenario } from './scenarios/run-scenario.js';

const options = parseBenchOptions(process.argv.slice(2));
if ('help' in options) {
  if (options.error) process.stderr.write(`bench: ${options.error}\n\n`);
  process.stderr.write(usage);
  process.exit(options.error ? 2 : 0);
}

const redis = await startBenchRedis(process.env);
try {
  for (const scenario of options.scenarios) {
    const profileDir = options.cpuProfile
      ? mkdtempSync(join(tmpdir(), `aiqum-bench-${scenario}-prof-`))
      : undefined;
    process.stderr.write(`bench: ${scenario}${options.quick ? ' --quick' : ''} started\n`);
    const context = { redis, quick: options.quick, workers: options.workers, cpuProfileDir: profileDir };
    const { report, markdown, file } = await runAndReport(scenario, context, resultsDir, (ctx) =>
      runScenario(scenario, ctx),
    );
    process.stdout.write(`${markdown}\n\n`);
    process.stdout.write(
      `bench ${scenario}: ${JSON.stringify({ quick: report.quick, ...report.summary, file })}\n\n`,
    );
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  }
} finally {
  await redis.close();
}
