import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import { AiqumClient, AiqumConfigurationError } from '../src/index.js';
import { tlsConnectOptions } from '../src/tls.js';
import { capturedLogger, origin, password, username } from './helpers.js';

const pem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';

describe('TLS options', () => {
  it('verifies by default', () => {
    expect(tlsConnectOptions({ ca: undefined, insecureSkipTlsVerify: false })).toEqual({
      rejectUnauthorized: true,
    });
  });

  it('passes ca given as PEM text or as a file', () => {
    const directory = mkdtempSync(join(tmpdir(), 'aiqum-ca-'));
    const file = join(directory, 'ca.pem');
    writeFileSync(file, pem);
    expect(tlsConnectOptions({ ca: pem, insecureSkipTlsVerify: false })).toEqual({
      rejectUnauthorized: true,
      ca: pem,
    });
    expect(tlsConnectOptions({ ca: { file }, insecureSkipTlsVerify: false })).toEqual({
      rejectUnauthorized: true,
      ca: pem,
    });
  });

  it('turns verification off only on explicit opt-in', () => {
    expect(tlsConnectOptions({ ca: undefined, insecureSkipTlsVerify: true })).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('builds clients that own an agent with ca (text or file), and closes them', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'aiqum-ca-'));
    const file = join(directory, 'ca.pem');
    writeFileSync(file, pem);
    for (const ca of [pem, { file }]) {
      await using client = new AiqumClient({ baseUrl: origin, username, password, ca });
      expect(client.baseUrl).toBe(origin);
    }
  });

  it.each([
    ['a missing ca file', { ca: { file: '/nonexistent/ca.pem' } }],
    ['ca text that is not PEM', { ca: 'not a certificate' }],
    ['dispatcher with ca', { ca: pem, dispatcher: new MockAgent() }],
    ['dispatcher with insecureSkipTlsVerify', { insecureSkipTlsVerify: true, dispatcher: new MockAgent() }],
    ['a base URL with a path', { baseUrl: 'https://aiqum.test/um' }],
    ['a non-http scheme', { baseUrl: 'ftp://aiqum.test' }],
    ['an unknown option', { insecure: true }],
  ])('throws a configuration error for %s', (_name, override) => {
    let caught: unknown;
    try {
      new AiqumClient({ baseUrl: origin, username, password, ...override });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AiqumConfigurationError);
    expect(caught).toMatchObject({ code: 'AIQUM_INVALID_CONFIGURATION' });
  });

  it('close() leaves an injected dispatcher to its owner', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const client = new AiqumClient({ baseUrl: origin, username, password, dispatcher: agent });
    await client.close();
    agent
      .get(origin)
      .intercept({ path: '/api/datacenter/svm/svms', method: 'GET' })
      .reply(200, { records: [] });
    await expect(client.get('/api/datacenter/svm/svms')).resolves.toEqual({ records: [] });
    await agent.close();
  });

  it('insecureSkipTlsVerify logs exactly one warning per client', async () => {
    const { logger, lines } = capturedLogger();
    const client = new AiqumClient({
      baseUrl: origin,
      username,
      password,
      insecureSkipTlsVerify: true,
      logger,
    });
    await client.close();
    const warnings = lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/verification is OFF/);

    const quiet = capturedLogger();
    await new AiqumClient({ baseUrl: origin, username, password, logger: quiet.logger }).close();
    expect(quiet.lines()).toEqual([]);
  });

  it('an http:// baseUrl logs exactly one warning per client, naming it', async () => {
    const { logger, lines } = capturedLogger();
    await new AiqumClient({ baseUrl: 'http://aiqum.test:8080', username, password, logger }).close();
    const warnings = lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ baseUrl: 'http://aiqum.test:8080' });
    expect(warnings[0]?.msg).toMatch(/plain HTTP/);
  });
});
