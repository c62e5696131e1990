import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface ServerCertificate {
  /** The CA that signed the server certificate; clients trust this. */
  caPem: string;
  key: string;
  cert: string;
}

const validityMs = 365 * 24 * 60 * 60 * 1000;

type AltName = { type: 2; value: string } | { type: 7; ip: string };

/**
 * Names the server certificate must carry: localhost, 127.0.0.1, ::1, the listen host if it differs, and
 * any extra names clients use (e.g. a container's service name).
 */
function altNames(host: string, extraNames: readonly string[]): AltName[] {
  const names: AltName[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  for (const name of [host, ...extraNames]) {
    const bare = name.replace(/^\[|\]$/g, '');
    const unspecified = bare === '0.0.0.0' || bare === '::';
    const known = names.some((entry) => (entry.type === 2 ? entry.value : entry.ip) === bare);
    if (!unspecified && !known) names.push(isIP(bare) ? { type: 7, ip: bare } : { type: 2, value: bare });
  }
  return names;
}

/**
 * A throwaway CA and a server certificate it signs, made at start-up. EC P-256 keys: RSA generation
 * would slow every test that starts a simulator.
 */
export async function createCertificate(
  host: string,
  extraNames: readonly string[] = [],
  now: Date = new Date(),
): Promise<ServerCertificate> {
  const notBeforeDate = new Date(now.getTime() - 60_000);
  const notAfterDate = new Date(now.getTime() + validityMs);
  const ca = await generate([{ name: 'commonName', value: 'aiqum-simulator CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: altNames(host, extraNames) },
    ],
  });
  return { caPem: ca.cert, key: server.private, cert: server.cert };
}
