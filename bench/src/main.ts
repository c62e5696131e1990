import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchOptions, usage } from './bench-options.js';
import { startBenchRedis } from './bench-redis.js';
import { machineInfo } from './machine-info.js';
import { resultsDir } from './repo-paths.js';
import { markdownReport, type ScenarioReport, writeReport } from './report.js';
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
    const startedAt = new Date();
    process.stderr.write(`bench: ${scenario}${options.quick ? ' --quick' : ''} started\n`);
    const outcome = await runScenario(scenario, {
      redis,
      quick: options.quick,
      workers: options.workers,
      cpuProfileDir: profileDir,
    });
    const report: ScenarioReport = {
      scenario,
      quick: options.quick,
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(redis),
      ...outcome,
    };
    process.stdout.write(`${markdownReport(report)}\n\n`);
    const file = writeReport(resultsDir, report);
    process.stdout.write(
      `bench ${scenario}: ${JSON.stringify({ quick: options.quick, ...outcome.summary, file })}\n\n`,
    );
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  }
} finally {
  await redis.close();
}
