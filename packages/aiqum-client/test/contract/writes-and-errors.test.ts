import type { Simulator } from '@aiqum-jobs/aiqum-simulator';
import { lunRequest } from '@aiqum-jobs/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AiqumAuthenticationError,
  AiqumBadRequestError,
  type AiqumClient,
  AiqumPermissionDeniedError,
} from '../../src/index.js';
import { capturedLogger, rejection } from '../helpers.js';
import {
  clientFor,
  collect,
  keyedRecord,
  type LunReferences,
  lunReferences,
  startHttpsSimulator,
  userOf,
} from './contract-helpers.js';

const lunsPath = '/api/storage-provider/luns';

let references: LunReferences;

describe('contract: writes and errors', () => {
  let sim: Simulator;
  let client: AiqumClient;
  beforeAll(async () => {
    sim = await startHttpsSimulator({});
    client = clientFor(sim);
    references = await lunReferences(sim);
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('a synchronous write (igroup POST) answers kind sync, 201, with the record', async () => {
    const result = await client.submit({
      method: 'POST',
      path: '/api/datacenter/protocols/san/igroups',
      body: { name: 'ig_contract', os_type: 'linux', svm: references.svm },
    });
    expect(result).toMatchObject({
      kind: 'sync',
      status: 201,
      body: { name: 'ig_contract', os_type: 'linux', svm: references.svm },
    });
    const body = keyedRecord.parse(result.body);
    const listed = await collect(
      client.list('/api/datacenter/protocols/san/igroups', {
        filters: { name: 'ig_contract' },
        schema: keyedRecord,
      }),
    );
    expect(listed.map((igroup) => igroup.key)).toEqual([body.key]);
  });

  it('an invalid LUN body is a bad request naming the field: not retryable, not ambiguous', async () => {
    sim.reset();
    const jobsBefore = sim.stats().jobs.total;
    const error = await rejection(
      client.submit({
        method: 'POST',
        path: lunsPath,
        body: lunRequest('lun_bad', { body: { ...references, space: { size: -1 } } }).body,
      }),
    );
    expect(error).toBeInstanceOf(AiqumBadRequestError);
    expect(error).toMatchObject({
      code: 'AIQUM_BAD_REQUEST',
      status: 400,
      error: { target: 'space.size' },
      retryable: false,
      ambiguous: false,
    });
    expect(sim.stats().requests[`POST ${lunsPath}`]).toEqual({ '400': 1 });
    expect(sim.stats().jobs.total).toBe(jobsBefore);
  });

  it('a wrong password is an authentication error; neither password nor Authorization leaks', async () => {
    const admin = userOf(sim, 'admin');
    const wrongPassword = 'Wr0ng-Pa55word-7c1e';
    const { logger, lines, text } = capturedLogger();
    await using intruder = clientFor(sim, { password: wrongPassword, logger });
    const error = await rejection(collect(intruder.list('/api/datacenter/svm/svms')));
    expect(error).toBeInstanceOf(AiqumAuthenticationError);
    expect(error).toMatchObject({ code: 'AIQUM_UNAUTHORIZED', status: 401, retryable: false });

    const authorization = Buffer.from(`${admin.username}:${wrongPassword}`).toString('base64');
    const seen = [String(error), JSON.stringify(error), (error as Error).stack ?? '', text()].join('\n');
    expect(lines().length).toBeGreaterThan(0);
    expect(seen).not.toContain(wrongPassword);
    expect(seen).not.toContain(authorization);
  });

  it('an operator writing is denied; its credentials leak nowhere either', async () => {
    sim.reset();
    const operator = userOf(sim, 'operator');
    const { logger, lines, text } = capturedLogger();
    await using operatorClient = clientFor(sim, {
      username: operator.username,
      password: operator.password,
      logger,
    });
    const error = await rejection(
      operatorClient.submit({
        method: 'POST',
        path: lunsPath,
        body: lunRequest('lun_by_operator', { body: references }).body,
      }),
    );
    expect(error).toBeInstanceOf(AiqumPermissionDeniedError);
    expect(error).toMatchObject({ code: 'AIQUM_FORBIDDEN', status: 403, retryable: false, ambiguous: false });
    expect(sim.stats().requests[`POST ${lunsPath}`]).toEqual({ '403': 1 });

    const authorization = Buffer.from(`${operator.username}:${operator.password}`).toString('base64');
    const seen = [String(error), JSON.stringify(error), (error as Error).stack ?? '', text()].join('\n');
    expect(lines().length).toBeGreaterThan(0);
    expect(seen).not.toContain(operator.password);
    expect(seen).not.toContain(authorization);
  });
});
