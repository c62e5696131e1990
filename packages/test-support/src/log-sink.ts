import { Writable } from 'node:stream';

/** One JSON log line, parsed. */
export type LogLine = Record<string, unknown>;

/** A place for a test's logger to write to, and what it wrote. */
export interface LogSink {
  /** The stream to log to: pino's destination, or core's `createLogger({ destination })`. */
  readonly destination: Writable;
  /** The lines written so far, each parsed from its JSON. */
  lines(): LogLine[];
  /** Everything written so far, as written. */
  text(): string;
}

/** Collects what a logger writes, so a test can read its lines or look for what must never be logged. */
export function logSink(): LogSink {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const text = () => chunks.join('');
  return {
    destination,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
  };
}
