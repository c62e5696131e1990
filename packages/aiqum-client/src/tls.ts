import { readFileSync } from 'node:fs';
import { Agent } from 'undici';
import { AiqumConfigurationError } from './errors.js';

/** `ca` option: the PEM text itself, or a file holding it (read once, when the client is built). */
export type CaOption = string | { file: string };

export interface TlsOptions {
  ca: CaOption | undefined;
  insecureSkipTlsVerify: boolean;
}

export interface TlsConnectOptions {
  rejectUnauthorized: boolean;
  ca?: string;
}

function loadCa(ca: CaOption): string {
  let pem: string;
  if (typeof ca === 'string') {
    pem = ca;
  } else {
    try {
      pem = readFileSync(ca.file, 'utf8');
    } catch (error) {
      throw new AiqumConfigurationError(`cannot read ca file ${JSON.stringify(ca.file)}`, { cause: error });
    }
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new AiqumConfigurationError(
      'ca must hold at least one PEM certificate (-----BEGIN CERTIFICATE-----)',
    );
  }
  return pem;
}

/** TLS settings for undici's `connect`: verification stays on unless the caller explicitly opted out. */
export function tlsConnectOptions(options: TlsOptions): TlsConnectOptions {
  const connect: TlsConnectOptions = { rejectUnauthorized: !options.insecureSkipTlsVerify };
  if (options.ca !== undefined) connect.ca = loadCa(options.ca);
  return connect;
}

/**
 * The agent a client owns when no dispatcher is injected: keep-alive (undici's default) and at most
 * `connections` sockets, since AIQUM publishes no concurrency limit (ONTAP's Terraform provider uses 6).
 */
export function createOwnedAgent(connect: TlsConnectOptions, connections: number): Agent {
  return new Agent({ connections, connect });
}
