import type { ScenarioName } from '../bench-options.js';
import type { ScenarioOutcome } from '../report.js';
import { runCapacity } from './capacity.js';
import { runDependencies } from './dependencies.js';
import { runIdle } from './idle.js';
import { runLatency } from './latency.js';
import { runNames } from './names.js';
import { runPeers } from './peers.js';
import type { ScenarioContext } from './scenario-context.js';
import { runThroughput } from './throughput.js';

export function runScenario(name: ScenarioName, context: ScenarioContext): Promise<ScenarioOutcome> {
  switch (name) {
    case 'throughput':
      return runThroughput(context);
    case 'capacity':
      return runCapacity(context);
    case 'latency':
      return runLatency(context);
    case 'peers':
      return runPeers(context);
    case 'names':
      return runNames(context);
    case 'idle':
      return runIdle(context);
    case 'dependencies':
      return runDependencies(context);
  }
}
