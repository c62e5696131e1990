import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { createInventory, type Inventory } from './inventory.js';
import { JobStore } from './job-store.js';
import { createRandom, type Random } from './random.js';
import { type Scenario, ScenarioMatcher, scenarioSchema } from './scenario.js';
import type { ResolvedSimulatorOptions } from './simulator-options.js';
import { type SimulatorStats, Stats } from './stats.js';

interface World {
  inventory: Inventory;
  jobs: JobStore;
  jobRandom: Random;
  faultRandom: Random;
}

function createWorld({ seed, now, ontapJobPurgeSeconds }: ResolvedSimulatorOptions): World {
  return {
    inventory: createInventory(seed),
    jobs: new JobStore({ now, ids: createRandom(seed, 'jobs'), ontapPurgeMs: ontapJobPurgeSeconds * 1000 }),
    jobRandom: createRandom(seed, 'job-plans'),
    faultRandom: createRandom(seed, 'faults'),
  };
}

/** Everything the routes share. `resetAll` swaps inventory, jobs and PRNG streams for fresh seeded ones. */
export class SimulatorState {
  readonly options: ResolvedSimulatorOptions;
  readonly logger: Logger;
  readonly stats = new Stats();
  /** Aborts on close, ending long polls and injected latencies at once. */
  readonly closing = new AbortController();
  scenario: ScenarioMatcher;
  #world: World;

  constructor(options: ResolvedSimulatorOptions, logger: Logger) {
    this.options = options;
    this.logger = logger;
    // Every long poll and injected latency listens here until it ends (and then stops listening): many at
    // once under load is normal, not a leak.
    setMaxListeners(0, this.closing.signal);
    this.scenario = new ScenarioMatcher(options.scenario);
    this.#world = createWorld(options);
  }

  get inventory(): Inventory {
    return this.#world.inventory;
  }

  get jobs(): JobStore {
    return this.#world.jobs;
  }

  /** Draws job durations and outcomes, in request order. */
  get jobRandom(): Random {
    return this.#world.jobRandom;
  }

  /** Draws faults, in request order; separate so a scenario's faults never change job outcomes. */
  get faultRandom(): Random {
    return this.#world.faultRandom;
  }

  /** Back to the seed: inventory, jobs and PRNG streams. Jobs still running are dropped unsettled. */
  resetAll(): void {
    this.#world.jobs.close();
    this.#world = createWorld(this.options);
  }

  /** Validates and installs a scenario; throws the zod error when it is invalid. */
  setScenario(input: unknown): Scenario {
    const scenario = scenarioSchema.parse(input);
    this.scenario = new ScenarioMatcher(scenario);
    return scenario;
  }

  snapshot(): SimulatorStats {
    return this.stats.snapshot({ byState: { ...this.jobs.counts }, total: this.jobs.total });
  }
}
