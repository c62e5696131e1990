import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AiqumClient, AiqumConnectionError } from '../../src/index.js';
import { capturedLogger, rejection } from '../helpers.js';
import { caOf, clientFor, collect, keyedRecord, startHttpsSimulator, userOf } from './contract-helpers.js';

describe('contract: HTTPS with the simulator CA', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startHttpsSimulator();
  });
  afterAll(() => sim.close());

  it.each([
    ['a CA file', () => ({ ca: { file: sim.caFile ?? '' } })],
    ['CA PEM text', () => ({ ca: caOf(sim) })],
  ])('verifies the server with %s', async (_name, tls) => {
    await using client = clientFor(sim, tls());
    const clusters = await collect(client.list('/api/datacenter/cluster/clusters', { schema: keyedRecord }));
    expect(clusters.map((cluster) => cluster.name)).toEqual(['cluster-01', 'cluster-02']);
  });

  it('without ca refuses the self-signed chain, says how to fix it, and sends nothing', async () => {
    sim.reset();
    const admin = userOf(sim, 'admin');
    await using client = new AiqumClient({
      baseUrl: sim.url,
      username: admin.username,
      password: admin.password,
    });
    const error = await rejection(
      client.submit({
        method: 'POST',
        path: '/api/storage-provider/luns',
        body: lunRequest('lun_tls').body,
      }),
    );
    expect(error).toBeInstanceOf(AiqumConnectionError);
    expect(error).toMatchObject({
      code: 'AIQUM_CONNECTION_ERROR',
      retryable: false,
      ambiguous: false,
      message: expect.stringMatching(/TLS certificate not trusted.*configure `ca`/),
    });
    const getError = await rejection(collect(client.list('/api/datacenter/svm/svms')));
    expect(getError).toMatchObject({ code: 'AIQUM_CONNECTION_ERROR', retryable: false, ambiguous: false });
    // A certificate failure is never retried and no request reaches the server.
    expect(sim.stats().requests).toEqual({});
  });

  it('insecureSkipTlsVerify connects without a CA and warns exactly once', async () => {
    const { logger, lines } = capturedLogger();
    const admin = userOf(sim, 'admin');
    await using client = new AiqumClient({
      baseUrl: sim.url,
      username: admin.username,
      password: admin.password,
      insecureSkipTlsVerify: true,
      logger,
    });
    const svms = await collect(client.list('/api/datacenter/svm/svms', { schema: keyedRecord }));
    expect(svms.map((svm) => svm.name)).toEqual(['vs1', 'vs2', 'vs3', 'vs4']);
    const warnings = lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/verification is OFF/);
  });
});
