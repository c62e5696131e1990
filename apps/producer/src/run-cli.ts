import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Environment, eventTypeSchema, eventTypes } from '@aiqum-jobs/core';
import { z } from 'zod';
import { ApiError, ProducerApiClient } from './api-client.js';
import { serve } from './main.js';
import { parseRequestFile } from './request-file.js';
import { resolvedLine } from './resolved-lines.js';
import { type CliOutput, watchBatch } from './watch-batch.js';

export interface CliContext {
  env: Environment;
  stdout: CliOutput;
  stderr: CliOutput;
  /** Interval of `--watch` reads. @defaultValue 500 */
  watchIntervalMs?: number;
}

const usage = `usage: aiqum-jobs <command>

  serve                                  run the HTTP API (PRODUCER_* and shared settings from the environment)
  submit FILE [--watch] [--idempotency-key KEY]
                                         queue the requests of FILE (JSON array, batch object or NDJSON)
  status ID                              show a request (at a terminal, with the names it looked up), or else a batch
  events --follow [--batch ID] [--types T1,T2] [--after STREAM_ID]
                                         print events as JSON lines as they happen
  cancel ID                              cancel a request
  poll ID                                poll a tracked request's AIQUM job now

  AIQUM_JOBS_URL (default http://127.0.0.1:8080) and AIQUM_JOBS_TOKEN say where the API is.
`;

const clientEnvSchema = z.object({
  AIQUM_JOBS_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8080'),
  AIQUM_JOBS_TOKEN: z.string().min(1).optional(),
});

const typesSchema = z
  .string()
  .transform((value) => value.split(',').filter((type) => type !== ''))
  .pipe(z.array(eventTypeSchema));

class UsageError extends Error {}

/** The `aiqum-jobs` command line; returns the exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  try {
    return await dispatch(argv, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr.write(`${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof ApiError) {
      context.stderr.write(`error: ${error.code}: ${error.message}\n`);
      for (const issue of error.issues ?? []) context.stderr.write(`  ${issue.path}: ${issue.message}\n`);
      return 1;
    }
    context.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function dispatch(argv: readonly string[], context: CliContext): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [command, argument, ...extra] = positionals;
  if (values.help || command === undefined) {
    context.stdout.write(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (command === 'serve') {
    await serve(context.env);
    return 0;
  }

  const clientEnv = clientEnvSchema.safeParse(context.env);
  if (!clientEnv.success) throw new UsageError(`AIQUM_JOBS_URL: ${clientEnv.error.issues[0]?.message}`);
  const client = new ProducerApiClient({
    baseUrl: clientEnv.data.AIQUM_JOBS_URL,
    token: clientEnv.data.AIQUM_JOBS_TOKEN,
  });
  const print = (value: unknown) => context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  const needArgument = (what: string): string => {
    if (argument === undefined) throw new UsageError(`${command} needs ${what}`);
    return argument;
  };

  switch (command) {
    case 'submit': {
      const file = needArgument('a FILE');
      const body = parseRequestFile(await readFile(file, 'utf8'));
      const answer = await client.submitBatch(body, values['idempotency-key']);
      if (!values.watch) {
        print(answer);
        return 0;
      }
      context.stdout.write(`batch ${answer.batchId}: ${answer.total} requests queued\n`);
      await watchBatch(client, answer.batchId, {
        output: context.stdout,
        ...(context.watchIntervalMs === undefined ? {} : { intervalMs: context.watchIntervalMs }),
      });
      return 0;
    }
    case 'status': {
      const id = needArgument('an ID');
      try {
        const request = await client.getRequest(id);
        print(request);
        // A person at a terminal also gets the names looked up; a pipe gets JSON alone.
        if (context.stdout.isTTY && request.resolved && request.resolved.length > 0) {
          context.stdout.write('\nnames looked up:\n');
          for (const reference of request.resolved) context.stdout.write(`  ${resolvedLine(reference)}\n`);
        }
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        print(await client.getBatch(id));
      }
      return 0;
    }
    case 'events': {
      if (!values.follow) throw new UsageError('events streams until interrupted: pass --follow');
      const types = values.types === undefined ? undefined : typesSchema.safeParse(values.types);
      if (types?.success === false) throw new UsageError(`--types: one or more of ${eventTypes.join(', ')}`);
      for await (const { streamId, event } of client.events({
        ...(values.batch === undefined ? {} : { batchId: values.batch }),
        ...(types === undefined ? {} : { types: types.data }),
        ...(values.after === undefined ? {} : { after: values.after }),
      })) {
        context.stdout.write(`${JSON.stringify({ streamId, ...event })}\n`);
      }
      return 0;
    }
    case 'cancel':
      print(await client.cancel(needArgument('a request ID')));
      return 0;
    case 'poll':
      print(await client.pollNow(needArgument('a request ID')));
      return 0;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
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
      'idempotency-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
