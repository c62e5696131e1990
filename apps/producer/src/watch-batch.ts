import { type BatchView, type RequestOutcome, requestOutcomes } from '@aiqum-jobs/contracts';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { ApiError, type ProducerApiClient } from './api-client.js';

/** Where the CLI writes: a TTY gets live bars, anything else plain lines. */
export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface WatchBatchOptions {
  /** Where the progress goes: stderr, so that stdout holds the results alone. */
  progress: CliOutput;
  /** Interval of `GET /v1/batches/:id`. @defaultValue 500 */
  intervalMs?: number;
  /** Failed reads in a row tolerated before giving up. @defaultValue 5 */
  maxConsecutiveFailures?: number;
}

/**
 * Follows a batch until it is done, showing progress by outcome, and answers its final view. Polling the
 * batch is simple and survives reconnections.
 */
export async function watchBatch(
  client: ProducerApiClient,
  batchId: string,
  options: WatchBatchOptions,
): Promise<BatchView> {
  const progress = options.progress.isTTY
    ? new BarProgress(options.progress)
    : new LineProgress(options.progress);
  let failures = 0;
  let batch: BatchView | undefined;
  try {
    for (;;) {
      try {
        batch = await client.getBatch(batchId);
        failures = 0;
      } catch (error) {
        failures += 1;
        const transient = error instanceof ApiError && (error.status === 0 || error.status >= 500);
        if (!transient || failures >= (options.maxConsecutiveFailures ?? 5)) throw error;
      }
      if (batch !== undefined) {
        progress.update(batch);
        if (batch.done) break;
      }
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  } finally {
    progress.stop();
  }
  return batch;
}

interface Progress {
  update(batch: BatchView): void;
  stop(): void;
}

class BarProgress implements Progress {
  readonly #bars: MultiBar;
  readonly #outcomeBars = new Map<RequestOutcome, SingleBar>();
  #doneBar: SingleBar | undefined;
  #waitingBar: SingleBar | undefined;

  constructor(output: CliOutput) {
    this.#bars = new MultiBar(
      {
        stream: output as NodeJS.WritableStream,
        format: '{label} |{bar}| {value}/{total}',
        hideCursor: true,
        clearOnComplete: false,
        forceRedraw: true,
      },
      Presets.shades_classic,
    );
  }

  update(batch: BatchView): void {
    this.#doneBar ??= this.#bars.create(batch.total, 0, { label: 'done'.padEnd(16) });
    this.#doneBar.update(batch.byStatus.completed);
    if (batch.byStatus.waiting > 0 || this.#waitingBar !== undefined) {
      this.#waitingBar ??= this.#bars.create(batch.total, 0, { label: 'waiting'.padEnd(16) });
      this.#waitingBar.update(batch.byStatus.waiting);
    }
    for (const outcome of requestOutcomes) {
      const count = batch.byOutcome[outcome] ?? 0;
      if (count === 0) continue;
      let bar = this.#outcomeBars.get(outcome);
      if (bar === undefined) {
        bar = this.#bars.create(batch.total, 0, { label: outcome.padEnd(16) });
        this.#outcomeBars.set(outcome, bar);
      }
      bar.update(count);
    }
  }

  stop(): void {
    this.#bars.stop();
  }
}

class LineProgress implements Progress {
  readonly #output: CliOutput;
  #last = '';

  constructor(output: CliOutput) {
    this.#output = output;
  }

  update(batch: BatchView): void {
    const counts = requestOutcomes
      .filter((outcome) => (batch.byOutcome[outcome] ?? 0) > 0)
      .map((outcome) => `${outcome} ${batch.byOutcome[outcome]}`);
    // Requests waiting for their dependencies are shown while there are some.
    if (batch.byStatus.waiting > 0) counts.unshift(`waiting ${batch.byStatus.waiting}`);
    const line = `progress: ${batch.byStatus.completed}/${batch.total} done${counts.length > 0 ? `, ${counts.join(', ')}` : ''}`;
    if (line === this.#last) return;
    this.#last = line;
    this.#output.write(`${line}\n`);
  }

  stop(): void {}
}
