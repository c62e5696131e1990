import { type LookupAddress, type LookupOptions, lookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { isMetadataAddress } from './metadata-addresses.js';

/** Why an address may not be reached. `loopback` and `private` open with `allowPrivate`; the rest never do. */
type AddressKind = 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved';

const kindDescriptions: Record<AddressKind, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address (cloud metadata services live there)',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

const forbiddenRanges: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6', AddressKind]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'private'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  // NAT64 addresses reach IPv4 hosts by another name. (BlockList checks IPv4-mapped addresses,
  // ::ffff:a.b.c.d, against the IPv4 ranges by itself.)
  ['64:ff9b::', 96, 'ipv6', 'reserved'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const openedByAllowPrivate: ReadonlySet<AddressKind> = new Set(['loopback', 'private']);

/** A webhook URL the allowlist refuses; `message` says why and how to allow it. */
export class WebhookUrlError extends Error {
  override readonly name = 'WebhookUrlError';
  readonly code = 'WEBHOOK_URL_NOT_ALLOWED';
}

export interface UrlPolicyOptions {
  /**
   * Allow loopback and private addresses (RFC 1918, 100.64.0.0/10, unique local fc00::/7). Link-local,
   * unspecified, multicast and reserved addresses stay refused, and so do cloud metadata addresses in the
   * private ranges (Alibaba's 100.100.100.200, AWS's fd00:ec2::254).
   * @defaultValue false
   */
  allowPrivate: boolean;
  /**
   * Networks allowed whatever their kind, as CIDRs or single addresses (`10.20.0.0/16`, `::1`); cloud
   * metadata addresses stay refused.
   */
  allowedNetworks: readonly string[];
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a single address; undefined when it is neither. */
export function parseNetwork(
  text: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(bits)) || prefix > bits) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function blockListOf(ranges: ReadonlyArray<ReturnType<typeof parseNetwork>>): BlockList {
  const list = new BlockList();
  for (const range of ranges) if (range) list.addSubnet(range.address, range.prefix, range.family);
  return list;
}

/**
 * The webhook URL allowlist: http(s) URLs whose host is not, and does not resolve to, a loopback, private,
 * link-local, unspecified, multicast or reserved address, unless the configuration allows it. Checked when
 * a subscription is made and again on every connection (see {@link createWebhookAgent}), because what a
 * name resolves to can change.
 */
export class WebhookUrlPolicy {
  readonly #allowPrivate: boolean;
  readonly #allowed: BlockList;
  readonly #forbidden: ReadonlyArray<readonly [AddressKind, BlockList]>;

  constructor(options: UrlPolicyOptions) {
    this.#allowPrivate = options.allowPrivate;
    this.#allowed = blockListOf(options.allowedNetworks.map(parseNetwork));
    const kinds = [...new Set(forbiddenRanges.map(([, , , kind]) => kind))];
    this.#forbidden = kinds.map((kind) => [
      kind,
      blockListOf(
        forbiddenRanges
          .filter((range) => range[3] === kind)
          .map(([address, prefix, family]) => ({ address, prefix, family })),
      ),
    ]);
  }

  /** Why `address` (an IP address) may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined {
    if (isMetadataAddress(address)) return `${address} is a cloud metadata address, which nothing can allow`;
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (this.#allowed.check(address, family)) return undefined;
    const kind = this.#forbidden.find(([, list]) => list.check(address, family))?.[0];
    if (kind === undefined || (this.#allowPrivate && openedByAllowPrivate.has(kind))) return undefined;
    const opener = openedByAllowPrivate.has(kind)
      ? 'WEBHOOK_ALLOW_PRIVATE=true or WEBHOOK_ALLOWED_NETWORKS'
      : 'WEBHOOK_ALLOWED_NETWORKS';
    return `${address} is ${kindDescriptions[kind]}, which only ${opener} can allow`;
  }

  /** Checks a URL's scheme, its host and every address the host resolves to now. */
  async check(url: string): Promise<void> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new WebhookUrlError(`${url} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new WebhookUrlError(`${parsed.protocol} URLs are not allowed: use http or https`);
    }
    const host = hostOf(parsed);
    if (isIP(host)) {
      this.#assertAllowed(host, [host]);
      return;
    }
    let addresses: LookupAddress[];
    try {
      addresses = await this.#resolve(host, 0);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new WebhookUrlError(`${host} cannot be resolved (${code})`);
    }
    this.#assertAllowed(
      host,
      addresses.map((entry) => entry.address),
    );
  }

  /**
   * A `lookup` for `net.connect` that resolves a host name and refuses it when an address is not allowed,
   * so a connection goes only to addresses that were checked.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.#resolve(hostname, options.family ?? 0).then(
      (addresses) => {
        try {
          this.#assertAllowed(
            hostname,
            addresses.map((entry) => entry.address),
          );
        } catch (error) {
          callback(error as WebhookUrlError, '', 0);
          return;
        }
        const [first] = addresses;
        if (options.all) callback(null, addresses);
        else if (first) callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  /** A host that resolves to several addresses is refused when any of them is. */
  #assertAllowed(host: string, addresses: readonly string[]): void {
    for (const address of addresses) {
      const refusal = this.refusal(address);
      if (refusal === undefined) continue;
      throw new WebhookUrlError(address === host ? refusal : `${host} resolves to ${refusal}`);
    }
  }

  async #resolve(hostname: string, family: LookupOptions['family']): Promise<LookupAddress[]> {
    const addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
      lookup(hostname, { all: true, family: family ?? 0 }, (error, found) =>
        error ? reject(error) : resolve(found),
      );
    });
    if (addresses.length === 0) throw new WebhookUrlError(`${hostname} resolves to no address`);
    return addresses;
  }
}

/** The host of a URL without the brackets of an IPv6 literal. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}
