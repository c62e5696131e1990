import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../src/index.js';
import { basicAuth } from './helpers.js';

function get(
  url: string,
  authorization: string,
  ca?: string,
  servername?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        headers: { authorization },
        ...(ca === undefined ? {} : { ca }),
        ...(servername === undefined ? {} : { servername }),
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS', () => {
  it('serves a certificate that verifies against the written CA, and fails without it', async () => {
    await using sim = await startSimulator();
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const caFile = sim.caFile ?? '';
    expect(caFile).toMatch(/ca\.pem$/);
    const ca = await readFile(caFile, 'utf8');
    expect(ca).toBe(sim.caPem);
    const admin = sim.users[0];
    if (!admin) throw new Error('no user');

    const answer = await get(`${sim.url}/api/datacenter/cluster/clusters`, basicAuth(admin), ca);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ num_records: 2 });
    const byName = await get(
      `${sim.url.replace('127.0.0.1', 'localhost')}/api/gateways`,
      basicAuth(admin),
      ca,
    );
    expect(byName.status).toBe(200);

    await expect(get(`${sim.url}/api/gateways`, basicAuth(admin))).rejects.toMatchObject({
      code: expect.stringMatching(/CERT|SIGNATURE|SELF_SIGNED/),
    });
  });

  it('adds extra names to the certificate for clients that reach it by another name', async () => {
    await using named = await startSimulator({ tlsNames: ['simulator'] });
    await using unnamed = await startSimulator();
    const admin = named.users[0];
    if (!admin) throw new Error('no user');
    const answer = await get(`${named.url}/api/gateways`, basicAuth(admin), named.caPem, 'simulator');
    expect(answer.status).toBe(200);
    await expect(
      get(`${unnamed.url}/api/gateways`, basicAuth(admin), unnamed.caPem, 'simulator'),
    ).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('has no CA with tls: false', async () => {
    await using sim = await startSimulator({ tls: false });
    expect(sim.url).toMatch(/^http:\/\//);
    expect(sim.caFile).toBeUndefined();
    expect(sim.caPem).toBeUndefined();
  });
});
