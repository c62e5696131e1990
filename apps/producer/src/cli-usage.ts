/** The help of each `aiqum-jobs` command, printed by `aiqum-jobs COMMAND --help`. */
export const commandUsage = {
  serve:
    'serve                              run the HTTP API (PRODUCER_* and shared settings from the environment)',
  submit:
    'submit FILE|- [--watch] [--idempotency-key KEY]\n' +
    '                                   queue the requests of FILE, or of stdin with -\n' +
    '                                   (JSON array, batch object or NDJSON); --watch follows the batch to its end',
  status: 'status ID                          show a request, or else a batch',
  batches: 'batches [--limit N]                list the recently active batches (N at most 100, default 20)',
  requests: 'requests BATCH                     list the requests of a batch',
  events:
    'events [--follow] [--batch ID] [--types T1,T2] [--after STREAM_ID]\n' +
    '                                   print the events retained now (after --after) and exit,\n' +
    '                                   or with --follow new ones until interrupted',
  cancel: 'cancel ID                          cancel a request',
  poll: "poll ID                            poll a tracked request's AIQUM job now",
  retry:
    'retry ID [--outcome O1,O2] [--force] [--watch] [--idempotency-key KEY]\n' +
    '                                   retry a request that did not succeed, or the requests of a batch\n' +
    '                                   that ended failed, timed_out or skipped (or --outcome: any of warning,\n' +
    '                                   partial_failure, failed, timed_out, cancelled, unknown, skipped; ID\n' +
    '                                   is then a batch); --force retries unknown writes, which may have\n' +
    '                                   reached AIQUM; --watch follows the retries to their end',
} as const;

export type Command = keyof typeof commandUsage;

export function isCommand(name: string): name is Command {
  return Object.hasOwn(commandUsage, name);
}

const footer = `
options of every command:
  -o, --output table|json|ndjson     table (default) for people, json one document, ndjson one line per item
  -h, --help                         this help
  --version                          the version of aiqum-jobs

exit codes: 0 all succeeded, 1 some did not (or the API refused), 2 usage (bad arguments or input),
3 cannot reach the API. Progress and errors go to stderr, results to stdout.
AIQUM_JOBS_URL (default http://127.0.0.1:8080) and AIQUM_JOBS_TOKEN say where the aiqum-jobs API is
(not an AIQUM server: that is AIQUM_URL, read by the worker).
`;

export function usageOf(command?: Command): string {
  if (command !== undefined) return `usage: aiqum-jobs ${commandUsage[command]}\n${footer}`;
  const lines = Object.values(commandUsage).map((line) => `  ${line.replaceAll('\n', '\n  ')}`);
  return `usage: aiqum-jobs <command> [options]\n\n${lines.join('\n')}\n${footer}`;
}
