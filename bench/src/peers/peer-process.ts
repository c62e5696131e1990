import { fileURLToPath } from 'node:url';
import { TestProcess } from '@aiqum-jobs/test-support';
import { RssSampler } from '../process-stats.js';
import { type PeerConfig, type PeerResult, peerResultPrefix, peerResultSchema } from './peer-config.js';

// Built next to this file; peers run from dist only (`npm run bench` builds it first).
const script = fileURLToPath(new URL('./peer-main.js', import.meta.url));

/** Runs one peer in a process of its own; returns its report and its peak RSS. */
export async function runPeerProcess(
  config: PeerConfig,
): Promise<{ result: PeerResult; peakRssBytes: number }> {
  const service = await TestProcess.start({
    name: `peer ${config.kind}`,
    args: [script, JSON.stringify(config)],
  });
  const rss = new RssSampler(service.pid, 250);
  const { code } = await service.exited;
  const { peakBytes } = rss.stop();
  const line = service.output.split('\n').find((text) => text.startsWith(peerResultPrefix));
  if (code !== 0 || line === undefined)
    throw new Error(`peer ${config.kind} exited with ${code}:\n${service.output}`);
  return {
    result: peerResultSchema.parse(JSON.parse(line.slice(peerResultPrefix.length))),
    peakRssBytes: peakBytes,
  };
}
