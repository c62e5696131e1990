import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { z } from 'zod';
import {
  authErrorBodies,
  dialects,
  type SimulatorOptions,
  simulatorOptionsSchema,
  userRoles,
} from './simulator-options.js';
import { startSimulator } from './start-simulator.js';

const usage = `Usage: aiqum-simulator [options]

  --port N                   port to listen on (default 8443; 0 = any free port)
  --host HOST                address to listen on (default 127.0.0.1)
  --http                     plain HTTP instead of HTTPS
  --tls-names A,B            more names for the certificate (e.g. a container service name)
  --dialect spec|docs        job state dialect: spec (running/completed, as Unified Manager's
                             specification) or docs (RUNNING/NORMAL..., a robustness scenario) (default spec)
  --users u:pass:role,...    users; roles: ${userRoles.join(', ')}
  --seed N                   seed for inventory, job outcomes and faults (default 1)
  --scenario FILE            JSON scenario file
  --long-poll                long polls of a job in Deploy's style: poll_timeout=1..120 and last_modified
                             (default off: unknown query parameters change nothing)
  --auth-error-body json|text|empty
                             what 401 and 403 answers carry (default json: an AIQUM error body)
  --ontap-purge-seconds N    seconds before a finished ONTAP job is purged (default 300)
  --default-page-size N      records per page of a datacenter collection without max_records (default 100)
  --no-gateway               the API Gateway switched off (its calls answer 403)
  --state-dir DIR            where to write ca.pem (default a new temporary directory)
  --log-level LEVEL          pino level for logs on stderr (default warn)
  --help                     show this help
`;

/** A command-line mistake: reported on stderr with exit code 2. */
class UsageError extends Error {}

const integer = (flag: string) =>
  z.coerce.number({ error: `${flag} must be a number` }).int(`${flag} must be an integer`);

async function optionsFromArgs(
  args: string[],
): Promise<{ options: SimulatorOptions; logLevel: string } | 'help'> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string', default: '8443' },
      host: { type: 'string' },
      http: { type: 'boolean', default: false },
      'tls-names': { type: 'string' },
      dialect: { type: 'string' },
      users: { type: 'string' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
      'long-poll': { type: 'boolean', default: false },
      'auth-error-body': { type: 'string' },
      'ontap-purge-seconds': { type: 'string' },
      'default-page-size': { type: 'string' },
      'no-gateway': { type: 'boolean', default: false },
      'state-dir': { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const parse = <T>(schema: z.ZodType<T>, value: unknown): T => {
    const result = schema.safeParse(value);
    if (!result.success) throw new UsageError(result.error.issues[0]?.message ?? 'invalid value');
    return result.data;
  };
  const options: SimulatorOptions = {
    port: parse(integer('--port'), values.port),
    tls: !values.http,
  };
  if (values.host !== undefined) options.host = values.host;
  if (values['tls-names'] !== undefined) options.tlsNames = values['tls-names'].split(',').filter(Boolean);
  if (values.dialect !== undefined) {
    options.dialect = parse(
      z.enum(dialects, { error: `--dialect must be ${dialects.join(' or ')}` }),
      values.dialect,
    );
  }
  if (values.users !== undefined) {
    options.users = values.users.split(',').map((entry) => {
      const first = entry.indexOf(':');
      const last = entry.lastIndexOf(':');
      if (first < 1 || last === first)
        throw new UsageError(`--users entry "${entry.split(':')[0]}:…" must be user:password:role`);
      const role = entry.slice(last + 1);
      return {
        username: entry.slice(0, first),
        password: entry.slice(first + 1, last),
        role: parse(
          z.enum(userRoles, { error: `--users role must be one of ${userRoles.join(', ')}` }),
          role,
        ),
      };
    });
  }
  if (values.seed !== undefined) options.seed = parse(integer('--seed'), values.seed);
  if (values.scenario !== undefined) {
    let text: string;
    try {
      text = await readFile(values.scenario, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --scenario ${values.scenario}: ${(error as Error).message}`);
    }
    try {
      options.scenario = JSON.parse(text);
    } catch {
      throw new UsageError(`--scenario ${values.scenario} is not valid JSON`);
    }
  }
  if (values['long-poll']) options.longPoll = true;
  if (values['no-gateway']) options.gateway = false;
  if (values['default-page-size'] !== undefined) {
    options.defaultPageSize = parse(
      integer('--default-page-size')
        .min(1, '--default-page-size must be 1-1000')
        .max(1_000, '--default-page-size must be 1-1000'),
      values['default-page-size'],
    );
  }
  if (values['auth-error-body'] !== undefined) {
    options.authErrorBody = parse(
      z.enum(authErrorBodies, { error: `--auth-error-body must be one of ${authErrorBodies.join(', ')}` }),
      values['auth-error-body'],
    );
  }
  if (values['ontap-purge-seconds'] !== undefined) {
    options.ontapJobPurgeSeconds = parse(
      z.coerce.number().nonnegative('--ontap-purge-seconds must be ≥ 0'),
      values['ontap-purge-seconds'],
    );
  }
  if (values['state-dir'] !== undefined) options.stateDir = values['state-dir'];
  // Validate everything here, so a bad scenario or user list is a usage error, not a crash.
  const checked = simulatorOptionsSchema.safeParse(options);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new UsageError(`invalid ${issue?.path.join('.') || 'option'}: ${issue?.message ?? 'invalid'}`);
  }
  return { options, logLevel: values['log-level'] };
}

async function main(args: string[]): Promise<void> {
  let parsed: Awaited<ReturnType<typeof optionsFromArgs>>;
  try {
    parsed = await optionsFromArgs(args);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`aiqum-simulator: ${message}\n\n${usage}`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(usage);
    return;
  }
  const logger = pino({ name: 'aiqum-simulator', level: parsed.logLevel }, pino.destination(2));
  const sim = await startSimulator({ ...parsed.options, logger });
  const lines = [`aiqum-simulator listening on ${sim.url}`];
  if (sim.caFile !== undefined) lines.push(`CA certificate: ${sim.caFile}`);
  lines.push('users:', ...sim.users.map((u) => `  ${u.username}:${u.role}`));
  const [example] = sim.users.filter((u) => u.role !== 'operator');
  const who = example ?? sim.users[0];
  const cacert = sim.caFile === undefined ? '' : `--cacert ${sim.caFile} `;
  lines.push(
    'example:',
    `  curl ${cacert}-u ${who?.username ?? 'admin'}:PASSWORD ${sim.url}/api/datacenter/cluster/clusters`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = (): void => {
    sim.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`aiqum-simulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
