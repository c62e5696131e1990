import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebhookUrlError, WebhookUrlPolicy } from '../src/index.js';
import { createWebhookAgent } from '../src/webhook-agent.js';

const strict = new WebhookUrlPolicy({ allowPrivate: false, allowedNetworks: [] });

async function refusal(policy: WebhookUrlPolicy, url: string): Promise<string> {
  const error = await policy.check(url).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error, url).toBeInstanceOf(WebhookUrlError);
  return (error as WebhookUrlError).message;
}

describe('webhook URL allowlist', () => {
  it.each([
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a loopback address/],
    ['http://127.10.0.1/hook', /loopback/],
    ['http://10.1.2.3/hook', /10\.1\.2\.3 is a private address/],
    ['https://172.16.5.4/hook', /private/],
    ['https://192.168.1.1/hook', /private/],
    ['http://169.254.1.1/hook', /link-local address \(cloud metadata/],
    ['http://[::1]:8080/hook', /::1 is a loopback address/],
    ['http://[fd12:3456::1]/hook', /private/],
    ['http://[fe80::1]/hook', /link-local/],
    ['http://0.0.0.0/hook', /unspecified/],
    ['http://[::]/hook', /unspecified/],
    ['http://224.0.0.1/hook', /multicast/],
    ['http://[ff02::1]/hook', /multicast/],
    ['http://[::ffff:127.0.0.1]/hook', /::ffff:7f00:1 is a loopback address/],
    ['http://[::ffff:a9fe:101]/hook', /link-local/],
    ['http://[64:ff9b::a00:1]/hook', /reserved/],
    // The URL parser turns these spellings of 127.0.0.1 into the address itself.
    ['http://2130706433/hook', /127\.0\.0\.1 is a loopback/],
    ['http://0x7f.1/hook', /127\.0\.0\.1 is a loopback/],
    ['http://localhost:8080/hook', /^localhost resolves to (127\.0\.0\.1|::1) is a loopback address/],
  ])('refuses %s', async (url, message) => {
    expect(await refusal(strict, url)).toMatch(message);
  });

  it.each([
    'ftp://hooks.example.com/x',
    'file:///etc/passwd',
    'gopher://example.com/',
    'javascript:alert(1)',
  ])('refuses the scheme of %s', async (url) => {
    expect(await refusal(strict, url)).toMatch(/URLs are not allowed: use http or https/);
  });

  it('says how to allow what it refuses', async () => {
    expect(await refusal(strict, 'http://10.0.0.1/')).toMatch(
      /only WEBHOOK_ALLOW_PRIVATE=true or WEBHOOK_ALLOWED_NETWORKS can allow/,
    );
    expect(await refusal(strict, 'http://169.254.1.1/')).toMatch(/only WEBHOOK_ALLOWED_NETWORKS can allow/);
  });

  it('accepts public addresses', async () => {
    await expect(strict.check('https://93.184.215.14/hook')).resolves.toBeUndefined();
    await expect(strict.check('https://[2606:4700::1111]/hook')).resolves.toBeUndefined();
  });

  it('opens loopback and private addresses with allowPrivate, but never link-local or multicast', async () => {
    const open = new WebhookUrlPolicy({ allowPrivate: true, allowedNetworks: [] });
    await expect(open.check('http://127.0.0.1:8080/')).resolves.toBeUndefined();
    await expect(open.check('http://10.1.2.3/')).resolves.toBeUndefined();
    await expect(open.check('http://[fd00::1]/')).resolves.toBeUndefined();
    await expect(open.check('http://localhost:8080/')).resolves.toBeUndefined();
    expect(await refusal(open, 'http://169.254.1.1/')).toMatch(/link-local/);
    expect(await refusal(open, 'http://224.0.0.1/')).toMatch(/multicast/);
  });

  it('opens exactly the networks listed', async () => {
    const listed = new WebhookUrlPolicy({ allowPrivate: false, allowedNetworks: ['10.20.0.0/16', '::1'] });
    await expect(listed.check('http://10.20.30.40/')).resolves.toBeUndefined();
    await expect(listed.check('http://[::1]/')).resolves.toBeUndefined();
    expect(await refusal(listed, 'http://10.21.0.1/')).toMatch(/private/);
    expect(await refusal(listed, 'http://127.0.0.1/')).toMatch(/loopback/);
  });

  describe('cloud metadata addresses, whatever the configuration opens', () => {
    const wideOpen = new WebhookUrlPolicy({
      allowPrivate: true,
      allowedNetworks: [
        '0.0.0.0/0',
        '::/0',
        '169.254.0.0/16',
        '100.64.0.0/10',
        'fd00::/8',
        '100.100.100.200',
      ],
    });
    const metadataUrls = [
      'http://169.254.169.254/latest/meta-data/',
      'http://169.254.170.2/v2/credentials',
      'http://169.254.170.23/v1/credentials',
      'http://169.254.0.23/meta-data/',
      'http://100.100.100.200/latest/meta-data/',
      'http://168.63.129.16/machine',
      'http://192.0.0.192/opc/v1/instance/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://[fd00:ec2::23]/v1/credentials',
      'http://[fd20:ce::254]/computeMetadata/v1/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:100.100.100.200]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[64:ff9b::100.100.100.200]/',
    ];

    it.each(metadataUrls)('refuses %s when subscribing', async (url) => {
      expect(await refusal(wideOpen, url)).toMatch(/cloud metadata address, which nothing can allow/);
      expect(await refusal(strict, url)).toMatch(/cloud metadata address/);
    });

    it.each(metadataUrls)(
      'refuses %s when connecting, by address and through the checked lookup',
      async (url) => {
        const address = new URL(url).hostname.replace(/^\[|\]$/g, '');
        const agent = createWebhookAgent(wideOpen, { connections: 1 });
        try {
          const refused = await agent
            .request({ origin: new URL(url).origin, path: '/', method: 'GET' })
            .catch((error: unknown) => error);
          expect(refused).toBeInstanceOf(WebhookUrlError);
          expect((refused as Error).message).toMatch(/cloud metadata address/);
        } finally {
          await agent.close();
        }
        const looked = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
          wideOpen.lookup(address, { all: true }, (error) => resolve(error)),
        );
        expect(looked).toBeInstanceOf(WebhookUrlError);
        expect(looked?.message).toMatch(/cloud metadata address/);
      },
    );

    it('still opens the neighbours of metadata addresses that the configuration allows', async () => {
      await expect(wideOpen.check('http://100.100.100.201/')).resolves.toBeUndefined();
      await expect(wideOpen.check('http://[fd00:ec2::253]/')).resolves.toBeUndefined();
      await expect(wideOpen.check('http://169.254.169.253/')).resolves.toBeUndefined();
    });
  });

  it('refuses a host name that does not resolve', async () => {
    expect(await refusal(strict, 'https://no-such-host.invalid/hook')).toMatch(/cannot be resolved/);
  });

  it('applies to every connection of the delivery agent, by address and by name', async () => {
    const server = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const strictAgent = createWebhookAgent(strict, { connections: 1 });
    const openAgent = createWebhookAgent(
      new WebhookUrlPolicy({ allowPrivate: false, allowedNetworks: ['127.0.0.1'] }),
      {
        connections: 1,
      },
    );
    try {
      for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
        const refused = await strictAgent
          .request({ origin, path: '/', method: 'GET' })
          .catch((error: unknown) => error);
        expect(refused, origin).toBeInstanceOf(WebhookUrlError);
        expect((refused as Error).message).toMatch(/loopback/);
      }
      const answer = await openAgent.request({
        origin: `http://127.0.0.1:${port}`,
        path: '/',
        method: 'GET',
      });
      expect(await answer.body.text()).toBe('ok');
    } finally {
      await strictAgent.close();
      await openAgent.close();
      server.close();
    }
  });
});
