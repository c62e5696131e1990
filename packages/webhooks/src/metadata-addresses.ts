import { BlockList, isIP } from 'node:net';

/**
 * Cloud instance metadata and credential services, which hand out the host's credentials to whoever asks:
 * refused whatever `WEBHOOK_ALLOW_PRIVATE` or `WEBHOOK_ALLOWED_NETWORKS` open. Names such as
 * `metadata.google.internal` are refused by what they resolve to.
 */
const metadataAddresses: ReadonlyArray<readonly [string, 'ipv4' | 'ipv6']> = [
  // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack and most others.
  ['169.254.169.254', 'ipv4'],
  // AWS ECS task credentials, EKS Pod Identity.
  ['169.254.170.2', 'ipv4'],
  ['169.254.170.23', 'ipv4'],
  // Tencent Cloud.
  ['169.254.0.23', 'ipv4'],
  // Alibaba Cloud.
  ['100.100.100.200', 'ipv4'],
  // Azure WireServer (a public address: no other range covers it).
  ['168.63.129.16', 'ipv4'],
  // Oracle Cloud, older instances.
  ['192.0.0.192', 'ipv4'],
  // AWS IMDS and EKS Pod Identity over IPv6, GCP's IPv6 metadata server.
  ['fd00:ec2::254', 'ipv6'],
  ['fd00:ec2::23', 'ipv6'],
  ['fd20:ce::254', 'ipv6'],
];

const metadata = new BlockList();
for (const [address, family] of metadataAddresses) metadata.addAddress(address, family);

// NAT64 (64:ff9b::/96) reaches an IPv4 address embedded in the last 32 bits. (BlockList matches IPv4-mapped
// addresses, ::ffff:a.b.c.d, against IPv4 entries by itself.)
const nat64 = new BlockList();
nat64.addSubnet('64:ff9b::', 96, 'ipv6');

/** Whether `address` (an IP address) is a cloud metadata service, directly or through NAT64. */
export function isMetadataAddress(address: string): boolean {
  if (isIP(address) === 4) return metadata.check(address, 'ipv4');
  if (metadata.check(address, 'ipv6')) return true;
  return nat64.check(address, 'ipv6') && metadata.check(embeddedIpv4(address), 'ipv4');
}

/** The IPv4 address in the last 32 bits of an IPv6 one (`64:ff9b::a9fe:a9fe`, `64:ff9b::1.2.3.4`). */
function embeddedIpv4(address: string): string {
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address)?.[1];
  if (dotted !== undefined) return dotted;
  const groups = address.split(':');
  const high = Number.parseInt(groups.at(-2) || '0', 16);
  const low = Number.parseInt(groups.at(-1) || '0', 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}
