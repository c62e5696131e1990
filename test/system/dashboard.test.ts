import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requestViewSchema } from '@aiqum-jobs/contracts';
import { lunRequest, waitUntil } from '@aiqum-jobs/test-support';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PipelineUnderTest, type ServiceProcess } from '../src/index.js';

/**
 * The dashboard in a real browser: headless Chromium (the Debian package, driven by playwright-core) against
 * real producer and worker processes. A batch runs for several seconds; its page, loaded while it runs
 * through the real login, must show the counts move without a reload, end with the batch's totals, and show
 * each failure with its AIQUM error; and a batch in order must show its requests waiting for a dependency,
 * then skipped when that dependency is cancelled. Screenshots go to test/artifacts/ (git-ignored).
 */

const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const artifactsDir = fileURLToPath(new URL('../artifacts/', import.meta.url));

const jobErrorMessage = 'aggregate aggr1 has no space left';
const abortMessage = 'The job was aborted by user admin.';
const scenario = {
  rules: [
    // A job that outlasts its test: its request stays tracked until the test cancels it.
    { match: { body: { name: '*_hold' } }, job: { durationMs: { min: 600_000, max: 600_000 } } },
    {
      match: { body: { name: '*_abort' } },
      job: { durationMs: { min: 2_000, max: 6_000 }, outcomes: { ABORTED: 1 }, message: abortMessage },
    },
    {
      match: { body: { name: '*_err' } },
      job: { durationMs: { min: 2_000, max: 6_000 }, outcomes: { ERROR: 1 }, message: jobErrorMessage },
    },
    // Jobs take seconds, so the page sees the batch run.
    { match: { method: 'POST' }, job: { durationMs: { min: 3_000, max: 12_000 } } },
  ],
};
const succeeding = 22;
const jobErrors = 4;
const aborted = 2;
const rejected = 4;
const total = succeeding + jobErrors + aborted + rejected;

const token = randomBytes(24).toString('hex');
const bearer = { authorization: `Bearer ${token}` };
let pipeline: PipelineUnderTest;
let api: ServiceProcess;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `the dashboard test drives Chromium at ${chromiumPath}, which is not installed: ` +
        'apt-get install chromium (.ci/run installs it when missing)',
    );
  }
  mkdirSync(artifactsDir, { recursive: true });
  pipeline = await PipelineUnderTest.start({ workers: 1, simulator: { scenario } });
  api = await pipeline.startProducerApi({ PRODUCER_API_TOKENS: token });
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await pipeline?.close();
});

const queuesAnswerSchema = z.object({
  queues: z.array(z.object({ name: z.string(), readOnlyMode: z.boolean() })),
});
const requestsPageSchema = z.object({ requests: z.array(requestViewSchema) });

async function count(page: Page, name: string): Promise<number> {
  return Number(await page.locator(`#count-${name}`).textContent());
}

async function logIn(page: Page): Promise<void> {
  await page.goto(`${api.url}/dashboard`);
  await page.fill('#token', token);
  await Promise.all([page.waitForURL('**/dashboard'), page.click('button[type=submit]')]);
}

async function counts(page: Page, names: readonly string[]): Promise<Record<string, number>> {
  return Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, await count(page, name)] as const)),
  );
}

describe('the dashboard in headless Chromium', () => {
  it('keeps bull-board behind the login: a redirect or 401 without it, 200 with a token', async () => {
    const page = await fetch(`${api.url}/dashboard/queues`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/dashboard/login?next=%2Fdashboard%2Fqueues');
    expect((await fetch(`${api.url}/dashboard/queues/api/queues`)).status).toBe(401);

    const queues = await fetch(`${api.url}/dashboard/queues/api/queues`, { headers: bearer });
    expect(queues.status).toBe(200);
    expect(queuesAnswerSchema.parse(await queues.json()).queues).toEqual([
      expect.objectContaining({ name: 'requests', readOnlyMode: true }),
      expect.objectContaining({ name: 'webhooks', readOnlyMode: true }),
    ]);
  });

  it('shows a running batch live: counts that move without a reload, the totals, the AIQUM errors', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
    const page = await context.newPage();
    // No page may make the browser contact another site (bull-board links Google Fonts: blocked).
    const elsewhere = new Set<string>();
    context.on('request', (request) => {
      if (!request.url().startsWith(api.url)) elsewhere.add(request.url());
    });
    // Chromium reports a request the page's Content-Security-Policy stopped as failed with "csp".
    context.on('requestfailed', (request) => {
      if (request.failure()?.errorText === 'csp') elsewhere.delete(request.url());
    });
    const policyViolations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) policyViolations.push(message.text());
    });
    // Not logged in: the dashboard sends the browser to the login form, which brings it back.
    await page.goto(`${api.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/dashboard/login');
    await page.fill('#token', 'not-the-token-0123456789');
    await page.click('button[type=submit]');
    await page.locator('.refused').waitFor({ state: 'visible' });
    await page.fill('#token', token);
    await Promise.all([page.waitForURL('**/dashboard'), page.click('button[type=submit]')]);
    await page.locator('body[data-state="complete"]').waitFor();

    const requests = [
      ...Array.from({ length: succeeding }, (_, index) => lunRequest(`dash_${index}`)),
      ...Array.from({ length: jobErrors }, (_, index) => lunRequest(`dash_${index}_err`)),
      ...Array.from({ length: aborted }, (_, index) => lunRequest(`dash_${index}_abort`)),
      // AIQUM rejects these at once: an SVM it does not have.
      ...Array.from({ length: rejected }, (_, index) =>
        lunRequest(`dash_${index}_nosvm`, { svm: 'vs_none' }),
      ),
    ];
    const submitted = await fetch(`${api.url}/v1/batches`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ requests, metadata: { change: 'CHG-2041', team: 'storage' } }),
    });
    expect(submitted.status).toBe(202);
    const { batchId } = z.object({ batchId: z.string() }).parse(await submitted.json());

    await page.goto(`${api.url}/dashboard/batches/${batchId}`);
    await page.locator('body[data-state="live"]').waitFor({ timeout: 20_000 });
    const timeOrigin = await page.evaluate(() => performance.timeOrigin);
    const first = await count(page, 'completed');
    expect(first).toBeLessThan(total);
    expect(await count(page, 'total')).toBe(total);
    const grown = await waitUntil(
      async () => {
        const now = await count(page, 'completed');
        return now > first ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the completed count to grow' },
    );
    expect(grown).toBeGreaterThan(first);
    // AIQUM's rejections come first; the screenshot waits for a Job to succeed, usually mid-batch.
    await page.locator('#count-succeeded:not(:text-is("0"))').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${artifactsDir}dashboard-batch.png`, fullPage: true });

    await page.locator('body[data-state="complete"]').waitFor({ timeout: 60_000 });
    // The same document all along: the counts moved through events, not reloads.
    expect(await page.evaluate(() => performance.timeOrigin)).toBe(timeOrigin);
    const counts = Object.fromEntries(
      await Promise.all(
        ['queued', 'submitting', 'tracking', 'completed', 'succeeded', 'failed', 'warning', 'unknown'].map(
          async (name) => [name, await count(page, name)] as const,
        ),
      ),
    );
    expect(counts).toEqual({
      queued: 0,
      submitting: 0,
      tracking: 0,
      completed: total,
      succeeded: succeeding,
      failed: jobErrors + aborted + rejected,
      warning: 0,
      unknown: 0,
    });
    expect(await page.locator('#progress-text').textContent()).toBe(
      `${total} of ${total} requests completed (100%)`,
    );
    expect(await page.locator('#slowest tbody tr').count()).toBe(10);
    // The API's times are ISO 8601: the page reads them as times, durations and dates alike.
    const durations = await page.locator('#slowest tbody tr td:last-child').allTextContents();
    for (const duration of durations) expect(duration).toMatch(/^\d+(\.\d s| min \d+ s| h \d+ min)$/);
    expect(await page.locator('#batch-times').textContent()).toMatch(/^created \S.* · finished \S/);
    expect(await page.locator('#batch-times').textContent()).not.toContain('Invalid Date');

    // Every failure row shows its request's AIQUM error as the API records it.
    const answer = await fetch(`${api.url}/v1/batches/${batchId}/requests?limit=100`, { headers: bearer });
    const failed = requestsPageSchema
      .parse(await answer.json())
      .requests.filter((request) => request.outcome === 'failed');
    expect(failed).toHaveLength(jobErrors + aborted + rejected);
    const jobFailures = failed.filter((request) => request.error?.code === 'AIQUM_JOB_ERROR');
    expect(jobFailures).toHaveLength(jobErrors);
    const abortedJobs = failed.filter((request) => request.error?.code === 'AIQUM_JOB_ABORTED');
    expect(abortedJobs).toHaveLength(aborted);
    // AIQUM's rejections carry its own error code; its failed Jobs, here, only a message.
    const rejections = failed.filter((request) => request.error?.httpStatus === 400);
    expect(rejections.filter((request) => request.error?.aiqumCode !== undefined)).toHaveLength(rejected);
    const rows = await page.locator('#failures tbody tr').allInnerTexts();
    expect(rows).toHaveLength(failed.length);
    for (const request of failed) {
      const row = rows.find((text) => text.includes(request.requestId.slice(0, 8)));
      expect(row, request.requestId).toBeDefined();
      const { code, message, aiqumCode, httpStatus } = request.error ?? {};
      for (const shown of [code, message, aiqumCode, httpStatus]) {
        if (shown !== undefined) expect(row).toContain(String(shown));
      }
    }
    expect(rows.filter((row) => row.includes(jobErrorMessage))).toHaveLength(jobErrors);
    expect(rows.filter((row) => row.includes(abortMessage))).toHaveLength(aborted);

    expect(policyViolations).toEqual([]);

    // The index lists it among the recently active batches.
    await page.goto(`${api.url}/dashboard`);
    await page.locator(`#batches a[href="/dashboard/batches/${batchId}"]`).waitFor();

    // The session cookie of that login opens bull-board as well.
    const board = await page.goto(`${api.url}/dashboard/queues`, { waitUntil: 'domcontentloaded' });
    expect(board?.status()).toBe(200);
    await page.getByText('requests', { exact: true }).first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: `${artifactsDir}dashboard-queues.png` });
    expect([...elsewhere]).toEqual([]);
    await context.close();
  });

  it('shows the requests waiting for a dependency, then those its cancellation skipped', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1100 } });
    const page = await context.newPage();
    await logIn(page);
    // root runs for 10 minutes; three requests wait for it, two more for the first of those; free waits for none.
    const requests = [
      { ...lunRequest('order_root_hold'), ref: 'root' },
      ...[0, 1, 2].map((index) => ({
        ...lunRequest(`order_child_${index}`),
        ref: `child${index}`,
        dependsOn: ['root'],
      })),
      ...[0, 1].map((index) => ({ ...lunRequest(`order_grandchild_${index}`), dependsOn: ['child0'] })),
      lunRequest('order_free'),
    ];
    const waiting = 5;
    const submitted = await fetch(`${api.url}/v1/batches`, {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ requests }),
    });
    expect(submitted.status).toBe(202);
    const { batchId, requestIds } = z
      .object({ batchId: z.string(), requestIds: z.array(z.string()) })
      .parse(await submitted.json());
    const [root = ''] = requestIds;
    await waitUntil(
      async () => {
        const answer = await fetch(`${api.url}/v1/requests/${root}`, { headers: bearer });
        return requestViewSchema.parse(await answer.json()).status === 'tracking' || undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the root request to be tracked' },
    );

    await page.goto(`${api.url}/dashboard/batches/${batchId}`);
    await page.locator('body[data-state="live"]').waitFor({ timeout: 20_000 });
    expect(await counts(page, ['waiting', 'skipped', 'total'])).toEqual({ waiting, skipped: 0, total: 7 });
    expect(await page.locator('#slowest .badge.outcome-waiting').count()).toBe(waiting);
    await page.screenshot({ path: `${artifactsDir}dashboard-waiting.png`, fullPage: true });

    const cancelled = await fetch(`${api.url}/v1/requests/${root}`, { method: 'DELETE', headers: bearer });
    expect(cancelled.status).toBe(200);
    // The skips come as events, the page moves without a reload; it is complete once free has succeeded.
    await page.locator(`#count-skipped:text-is("${waiting}")`).waitFor({ timeout: 20_000 });
    await page.locator('body[data-state="complete"]').waitFor({ timeout: 60_000 });
    expect(
      await counts(page, ['waiting', 'queued', 'tracking', 'completed', 'succeeded', 'cancelled', 'skipped']),
    ).toEqual({
      waiting: 0,
      queued: 0,
      tracking: 0,
      completed: 7,
      succeeded: 1,
      cancelled: 1,
      skipped: waiting,
    });
    expect(await page.locator('#progress .segment[data-outcome="skipped"]').getAttribute('style')).toContain(
      `width: ${((waiting / 7) * 100).toFixed(2)}%`,
    );
    const skippedRows = await page.locator('#failures tbody tr:has(.badge.outcome-skipped)').allInnerTexts();
    expect(skippedRows).toHaveLength(waiting);
    for (const row of skippedRows)
      expect(row).toMatch(/DEPENDENCY_FAILED[\s\S]*skipped: dependency "(root|child0)"/);
    expect(skippedRows.filter((row) => row.includes('dependency "root"'))).toHaveLength(3);
    await page.screenshot({ path: `${artifactsDir}dashboard-skipped.png`, fullPage: true });
    await context.close();
  });
});
