import type { ScenarioName } from './bench-options.js';
import { machineInfo } from './machine-info.js';
import { markdownReport, type ScenarioOutcome, type ScenarioReport, writeReport } from './report.js';
import type { ScenarioContext } from './scenarios/scenario-context.js';

export interface BenchRun {
  report: ScenarioReport;
  markdown: string;
  /** The JSON file written. */
  file: string;
}

/** Runs one scenario, then writes its JSON report into `dir`. */
export async function runAndReport(
  scenario: ScenarioName,
  context: ScenarioContext,
  dir: string,
  run: (context: ScenarioContext) => Promise<ScenarioOutcome>,
): Promise<BenchRun> {
  const startedAt = new Date();
  const outcome = await run(context);
  const report: ScenarioReport = {
    scenario,
    quick: context.quick,
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    machine: machineInfo(context.redis),
    ...outcome,
  };
  return { report, markdown: markdownReport(report), file: writeReport(dir, report) };
}
