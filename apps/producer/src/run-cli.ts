import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type AiqumJobsEvent,
  eventTypeSchema,
  eventTypes,
  looksLikeAiqumServerApi,
  type RequestView,
} from '@aiqum-jobs/contracts';
import type { Environment } from '@aiqum-jobs/core';
import { z } from 'zod';
import { ApiError, ProducerApiClient } from './api-client.js';
import { type CliResult, type OutputFormat, outputFormatSchema, writeResult } from './cli-format.js';
import {
  batchesResult,
  batchResult,
  requestResult,
  requestsResult,
  retriedResult,
  submittedResult,
  watchedResult,
} from './cli-results.js';
import { type Command, isCommand, usageOf } from './cli-usage.js';
import { serve } from './main.js';
import { parseRequestFile } from './request-file.js';
import { retriableOutcomes, retryBatchInputSchema } from './retry-input.js';
import { type CliOutput, watchBatch } from './watch-batch.js';
import { watchRequest } from './watch-request.js';

export interface CliContext {
  env: Environment;
  stdout: CliOutput;
  stderr: CliOutput;
  /** What `submit -` reads. @defaultValue no input */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** Interval of `--watch` reads. @defaultValue 500 */
  watchIntervalMs?: number;
}

/** The exit codes automation relies on; docs/CLI.md documents them. */
const exitCodes = { succeeded: 0, notAllSucceeded: 1, usage: 2, unreachable: 3 } as const;

const clientEnvSchema = z.object({
  AIQUM_JOBS_URL: z
    .url({ protocol: /^https?$/ })
    .refine(
      (value) => !looksLikeAiqumServerApi(new URL(value)),
      'looks like an AIQUM server (an /api path), not the aiqum-jobs API: that URL goes in AIQUM_URL, for the worker',
    )
    .default('http://127.0.0.1:8080'),
  AIQUM_JOBS_TOKEN: z.string().min(1).optional(),
});

const typesSchema = z
  .string()
  .transform((value) => value.split(',').filter((type) => type !== ''))
  .pipe(z.array(eventTypeSchema));

const outcomesSchema = z
  .string()
  .transform((value) => value.split(',').filter((outcome) => outcome !== ''))
  .pipe(retryBatchInputSchema.shape.outcomes.unwrap());

const limitSchema = z.coerce.number().int().min(1).max(100);

const packageSchema = z.object({ version: z.string() });

class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: Command,
  ) {
    super(message);
  }
}

/** The `aiqum-jobs` command line; returns the exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  try {
    return await dispatch(argv, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`${error.message}\n\n${usageOf(error.command)}`);
      return exitCodes.usage;
    }
    if (error instanceof ApiError) {
      context.stderr.write(`error: ${error.code}: ${error.message}\n`);
      for (const issue of error.issues ?? []) context.stderr.write(`  ${issue.path}: ${issue.message}\n`);
      if (error.status === 0) return exitCodes.unreachable;
      // The API refused what it was given: the input is at fault, as with a bad argument.
      return error.status === 400 ? exitCodes.usage : exitCodes.notAllSucceeded;
    }
    context.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodes.notAllSucceeded;
  }
}

async function dispatch(argv: readonly string[], context: CliContext): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    const named = argv.find(isCommand);
    throw new UsageError(error instanceof Error ? error.message : String(error), named);
  }
  const { values, positionals } = parsed;
  const [name, argument, ...extra] = positionals;
  if (values.version) {
    context.stdout.write(`${await version()}\n`);
    return exitCodes.succeeded;
  }
  if (name === undefined) {
    if (!values.help) throw new UsageError('a command is needed');
    context.stdout.write(usageOf());
    return exitCodes.succeeded;
  }
  if (!isCommand(name)) throw new UsageError(`unknown command ${name}`);
  const command = name;
  if (values.help) {
    context.stdout.write(usageOf(command));
    return exitCodes.succeeded;
  }
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`, command);
  const format = outputFormatSchema.safeParse(values.output ?? 'table');
  if (!format.success) throw new UsageError('-o: one of table, json, ndjson', command);
  if (command === 'serve') {
    await serve(context.env);
    return exitCodes.succeeded;
  }

  const clientEnv = clientEnvSchema.safeParse(context.env);
  if (!clientEnv.success) throw new UsageError(`AIQUM_JOBS_URL: ${clientEnv.error.issues[0]?.message}`);
  const client = new ProducerApiClient({
    baseUrl: clientEnv.data.AIQUM_JOBS_URL,
    token: clientEnv.data.AIQUM_JOBS_TOKEN,
  });
  const print = (result: CliResult) => writeResult(context.stdout, format.data, result);
  const needArgument = (what: string): string => {
    if (argument === undefined) throw new UsageError(`${command} needs ${what}`, command);
    return argument;
  };
  const noArgument = () => {
    if (argument !== undefined) throw new UsageError(`unexpected argument: ${argument}`, command);
  };

  switch (command) {
    case 'submit': {
      const body = await readRequests(needArgument('a FILE, or - for stdin'), context);
      const answer = await client.submitBatch(body, values['idempotency-key']);
      if (!values.watch) {
        print(submittedResult(answer));
        return exitCodes.succeeded;
      }
      context.stderr.write(`batch ${answer.batchId}: ${answer.total} requests queued\n`);
      const batch = await watchBatch(client, answer.batchId, {
        progress: context.stderr,
        ...(context.watchIntervalMs === undefined ? {} : { intervalMs: context.watchIntervalMs }),
      });
      print(watchedResult(batch, await allRequests(client, batch.batchId)));
      return (batch.byOutcome.succeeded ?? 0) === batch.total
        ? exitCodes.succeeded
        : exitCodes.notAllSucceeded;
    }
    case 'status': {
      const id = needArgument('an ID');
      try {
        print(requestResult(await client.getRequest(id)));
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        print(batchResult(await client.getBatch(id)));
      }
      return exitCodes.succeeded;
    }
    case 'batches': {
      noArgument();
      const limit = values.limit === undefined ? undefined : limitSchema.safeParse(values.limit);
      if (limit?.success === false) throw new UsageError('--limit: a number from 1 to 100', command);
      print(batchesResult((await client.listBatches(limit?.data)).batches));
      return exitCodes.succeeded;
    }
    case 'requests': {
      const batchId = needArgument('a BATCH id');
      print(requestsResult(batchId, await allRequests(client, batchId)));
      return exitCodes.succeeded;
    }
    case 'events':
      noArgument();
      return streamEvents(client, values, format.data, context);
    case 'cancel':
      print(requestResult(await client.cancel(needArgument('a request ID'))));
      return exitCodes.succeeded;
    case 'poll':
      print(requestResult(await client.pollNow(needArgument('a request ID'))));
      return exitCodes.succeeded;
    case 'retry':
      return retry(client, needArgument('a request or batch ID'), values, print, context);
  }
}

/**
 * Retries a request, or else (or with --outcome) a batch; with --watch, follows the retries to their end and
 * answers 0 only when all of them succeeded.
 */
async function retry(
  client: ProducerApiClient,
  id: string,
  values: ReturnType<typeof parse>['values'],
  print: (result: CliResult) => void,
  context: CliContext,
): Promise<number> {
  const outcomes = values.outcome === undefined ? undefined : outcomesSchema.safeParse(values.outcome);
  if (outcomes?.success === false) {
    throw new UsageError(`--outcome: one or more of ${retriableOutcomes.join(', ')}`, 'retry');
  }
  const force = values.force === true ? { force: true } : {};
  const key = values['idempotency-key'];
  const watchOptions = context.watchIntervalMs === undefined ? {} : { intervalMs: context.watchIntervalMs };
  if (outcomes === undefined) {
    try {
      const answer = await client.retry(id, force, key);
      if (!values.watch) {
        print(retriedResult(answer, id));
        return exitCodes.succeeded;
      }
      context.stderr.write(`request ${answer.requestId}: queued, retrying ${id}\n`);
      const request = await watchRequest(client, answer.requestId, {
        progress: context.stderr,
        ...watchOptions,
      });
      print(requestResult(request));
      return request.outcome === 'succeeded' ? exitCodes.succeeded : exitCodes.notAllSucceeded;
    } catch (error) {
      // Not a request: a batch, or nothing.
      if (!(error instanceof ApiError && error.status === 404)) throw error;
    }
  }
  const answer = await client.retryBatch(
    id,
    { ...force, ...(outcomes === undefined ? {} : { outcomes: outcomes.data }) },
    key,
  );
  if (!values.watch) {
    print(submittedResult(answer));
    return exitCodes.succeeded;
  }
  context.stderr.write(`batch ${answer.batchId}: ${answer.total} requests queued, retrying batch ${id}\n`);
  const batch = await watchBatch(client, answer.batchId, { progress: context.stderr, ...watchOptions });
  print(watchedResult(batch, await allRequests(client, batch.batchId)));
  return (batch.byOutcome.succeeded ?? 0) === batch.total ? exitCodes.succeeded : exitCodes.notAllSucceeded;
}

async function streamEvents(
  client: ProducerApiClient,
  values: ReturnType<typeof parse>['values'],
  format: OutputFormat,
  context: CliContext,
): Promise<number> {
  const types = values.types === undefined ? undefined : typesSchema.safeParse(values.types);
  if (types?.success === false) {
    throw new UsageError(`--types: one or more of ${eventTypes.join(', ')}`, 'events');
  }
  const events = client.events({
    follow: values.follow === true,
    ...(values.batch === undefined ? {} : { batchId: values.batch }),
    ...(types === undefined ? {} : { types: types.data }),
    ...(values.after === undefined ? {} : { after: values.after }),
  });
  // Events come one at a time, for as long as they last: json gathers them, the others print each.
  const gathered: unknown[] = [];
  for await (const { streamId, event } of events) {
    const line = { streamId, ...event };
    if (format === 'json') gathered.push(line);
    else if (format === 'ndjson') context.stdout.write(`${JSON.stringify(line)}\n`);
    else context.stdout.write(`${streamId}  ${event.type}  ${event.batchId ?? ''}  ${eventSubject(event)}\n`);
  }
  if (format === 'json') context.stdout.write(`${JSON.stringify({ events: gathered }, null, 2)}\n`);
  return exitCodes.succeeded;
}

function eventSubject(event: AiqumJobsEvent): string {
  if (event.type === 'batch.completed') return `${event.total} requests`;
  return event.type === 'request.completed' ? `${event.requestId}  ${event.outcome}` : event.requestId;
}

/** FILE, or stdin for `-`; a file that cannot be read or holds no requests is a usage error. */
async function readRequests(source: string, context: CliContext) {
  let text: string;
  try {
    text = source === '-' ? await readAll(context.stdin) : await readFile(source, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${source}: ${error instanceof Error ? error.message : error}`,
      'submit',
    );
  }
  try {
    return parseRequestFile(text);
  } catch (error) {
    throw new UsageError(`${source}: ${error instanceof Error ? error.message : error}`, 'submit');
  }
}

async function readAll(input: AsyncIterable<string | Uint8Array> | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input ?? []) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

async function allRequests(client: ProducerApiClient, batchId: string): Promise<RequestView[]> {
  const requests: RequestView[] = [];
  const pageSize = 1_000;
  for (let offset = 0; ; offset += pageSize) {
    const page = await client.listBatchRequests(batchId, offset, pageSize);
    requests.push(...page.requests);
    if (offset + pageSize >= page.total) return requests;
  }
}

async function version(): Promise<string> {
  // src/ and dist/ both sit next to the package's package.json.
  const text = await readFile(new URL('../package.json', import.meta.url), 'utf8');
  return packageSchema.parse(JSON.parse(text)).version;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      watch: { type: 'boolean' },
      follow: { type: 'boolean', short: 'f' },
      batch: { type: 'string' },
      types: { type: 'string' },
      after: { type: 'string' },
      limit: { type: 'string' },
      output: { type: 'string', short: 'o' },
      'idempotency-key': { type: 'string' },
      outcome: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
}
