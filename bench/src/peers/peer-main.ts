import { AiqumClient } from '@aiqum-jobs/aiqum-client';
import { runHoldSlot } from './hold-slot.js';
import { peerConfigSchema, peerResultPrefix } from './peer-config.js';
import { runPollLoop } from './poll-loop.js';

// A peer runs in a process of its own, so that its memory (RSS) and CPU are its own, like our worker's.
const config = peerConfigSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
const client = new AiqumClient({
  baseUrl: config.simulatorUrl,
  username: 'admin',
  password: 'admin123',
  connections: config.concurrency,
});
try {
  const result =
    config.kind === 'poll-loop' ? await runPollLoop(config, client) : await runHoldSlot(config, client);
  process.stdout.write(`${peerResultPrefix}${JSON.stringify(result)}\n`);
} finally {
  await client.close();
}
