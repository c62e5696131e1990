import { type LogSink, logSink } from '@aiqum-jobs/test-support';
import { type Logger, pino } from 'pino';
import { MockAgent } from 'undici';
import { AiqumClient, type AiqumClientOptions } from '../src/index.js';

export const origin = 'https://aiqum.test:8443';
export const username = 'admin';
export const password = 's3cr3t-P@ss';
export const basicValue = Buffer.from(`${username}:${password}`).toString('base64');

export interface Harness {
  agent: MockAgent;
  pool: ReturnType<MockAgent['get']>;
  client: AiqumClient;
  /** Every delay passed to the injected sleep. */
  sleeps: number[];
  /** Close the client and agent, failing when an interceptor was not used. */
  finish: () => Promise<void>;
}

/** A client on a MockAgent with no real network, an instant sleep, and a fixed random. */
export function harness(overrides: Partial<AiqumClientOptions> = {}): Harness {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const sleeps: number[] = [];
  const client = new AiqumClient({
    baseUrl: origin,
    username,
    password,
    dispatcher: agent,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
  return {
    agent,
    pool: agent.get(origin),
    client,
    sleeps,
    finish: async () => {
      await client.close();
      agent.assertNoPendingInterceptors();
      await agent.close();
    },
  };
}

/** A pino logger at trace level whose lines the test can read. */
export function capturedLogger(): LogSink & { logger: Logger } {
  const sink = logSink();
  return { ...sink, logger: pino({ level: 'trace' }, sink.destination) };
}

/** Runs `promise`, expecting a rejection, and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
