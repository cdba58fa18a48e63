import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { appendUserMessage } from '@warren/conversations';
import { newId } from '@warren/core';
import { generateProxyKeyPair } from '@warren/credentials';
import { withTenant } from '@warren/db';
import { QUEUE_SCHEMA, TURN_DEAD_LETTER_QUEUE } from '@warren/queue';
import { provisionTenant, tenantLimitBounds } from '@warren/tenancy';
import { freePort, type ModelStack, startModelStack } from '@warren/testkit';
import { PgBoss } from 'pg-boss';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, spawnApi, spawnWorker, stopProcess } from '../../worker/test/helpers.ts';
import { tenantLimits } from '../src/limits.ts';
import { withDelta } from '../src/live.ts';
import { buildDashboard, capture, expectAccessible, launchChromium } from './browser.ts';

// The dashboard in Debian's Chromium against a real API, worker and database: a tenant admin
// signs in, talks to the assistant and manages keys; an operator redrives a dead-lettered turn.

const OPS_TOKEN = 'test-ops-token-0123456789abcdef'; // the one spawnApi gives the API
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

let stack: ModelStack;
let api: ApiProcess;
let worker: ChildProcess;
let browser: Browser;
let tenant: { id: string; key: string };
let other: { id: string; key: string };
let workerMetrics: string;
/** Seals webhook endpoints' secrets: the worker opens them with the API's key to sign deliveries. */
const webhookEnv = { HOOK_SECRET_KEY: randomBytes(32).toString('base64'), WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true' };

beforeAll(async () => {
  stack = await startModelStack();
  const dist = join(stack.dir, 'dashboard');
  buildDashboard(dist);
  tenant = await provisionTenant(stack.db.pool, { name: 'browser' }).then((t) => ({ id: t.tenant.id, key: t.apiKey.key }));
  other = await provisionTenant(stack.db.pool, { name: 'other' }).then((t) => ({ id: t.tenant.id, key: t.apiKey.key }));
  workerMetrics = `http://127.0.0.1:${await freePort()}/metrics`;
  worker = spawnWorker(stack, 'sandboxes', { QUEUE_POLL_SECONDS: '1', METRICS_PORT: new URL(workerMetrics).port, ...webhookEnv });
  // a key pair of the test's own: the tenant's credential is only stored and removed here, never used
  api = await spawnApi(stack, { DASHBOARD_DIR: dist, PROXY_PUBLIC_KEY: (await generateProxyKeyPair()).publicKey, ...webhookEnv });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const child of [api?.process, worker]) if (child) await stopProcess(child, 'SIGTERM');
  await stack?.close();
});

const url = (path: string) => `${api.base}/dashboard${path}`;

/** Signs in with the keyboard alone: Tab to the mode, arrows to choose, Tab to the field, Enter. */
async function signInByKeyboard(page: Page, secret: string, asOps = false) {
  await page.goto(url('/'));
  await expect.poll(() => page.getByRole('heading', { name: 'Sign in to Warren' }).count()).toBe(1);
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).type)).toBe('radio');
  if (asOps) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('secret');
  await page.keyboard.type(secret);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: asOps ? 'Ops console' : 'Conversations', level: 1 }).waitFor();
}

describe('tenant admin', { timeout: 120_000 }, () => {
  let context: BrowserContext;
  let page: Page;
  let conversationUrl: string;
  beforeAll(async () => {
    context = await browser.newContext({ viewport: DESKTOP });
    page = await context.newPage();
  });
  afterAll(() => context.close());

  it('signs in with the keyboard; the session is an HttpOnly SameSite=Strict cookie and the key is kept nowhere', async () => {
    await page.goto(url('/'));
    await expectAccessible(page, 'sign-in');
    await capture(page, 'sign-in');
    await signInByKeyboard(page, tenant.key);
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'warren_session', httpOnly: true, sameSite: 'Strict', secure: false })]);
    expect(cookies[0]!.value).not.toContain(tenant.key);
    const stored = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
    expect(stored).toBe('[{},{},""]');
    await expect.poll(() => page.getByText('No conversations yet').count()).toBe(1); // the empty state
  });

  it('creates a conversation, posts a message with the keyboard, and watches the reply and its turn appear', async () => {
    await page.getByLabel('Title', { exact: true }).fill('Browser chat');
    await page.getByLabel('External id', { exact: true }).fill('browser-1');
    await page.getByRole('button', { name: 'Create conversation' }).click();
    await page.getByRole('heading', { name: 'Browser chat', level: 1 }).waitFor();
    conversationUrl = page.url();
    await page.getByText('No messages yet.').waitFor();

    await page.getByLabel('Message as a user').focus();
    await page.keyboard.type('#fake text the visible part<internal>the hidden plan</internal>');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Send');
    await page.keyboard.press('Enter');

    const reply = page.locator('.message.assistant');
    await reply.waitFor({ timeout: 60_000 });
    await expect.poll(() => reply.locator('.content').textContent()).toBe('the visible part');
    await page.locator('tr[data-turn-status="succeeded"]').waitFor({ timeout: 30_000 });
    const turnRow = await page.locator('tr[data-turn-status="succeeded"]').textContent();
    expect(turnRow).toContain('1–1'); // covers seq 1
    await reply.getByText('Raw text (with internal parts)').click();
    expect(await reply.locator('pre').textContent()).toContain('<internal>the hidden plan</internal>');
    await expectAccessible(page, 'conversation');
    await capture(page, 'conversation');
    await page.setViewportSize(PHONE);
    await capture(page, 'conversation');
    await page.setViewportSize(DESKTOP);
  });

  /** The page's reads of a conversation's messages and turns, from now on. */
  const readsOf = (watched: Page) => {
    const reads: string[] = [];
    watched.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.method() === 'GET' && /\/v1\/conversations\/[^/]+\/(messages|turns)$/.test(path)) reads.push(r.url());
    });
    return reads;
  };

  it('follows a conversation over its event stream: the reply and its turn appear with no periodic reads', async () => {
    const id = (await api.call('POST', '/v1/conversations', tenant.key, { title: 'live' })).body.id;
    const watched = await context.newPage();
    try {
      await watched.clock.install(); // time runs as usual, and runFor can move it on at once
      const reads = readsOf(watched);
      await watched.goto(url(`/conversations/${id}`));
      await watched.locator('[data-live="live"]').waitFor();
      await watched.getByText('No messages yet.').waitFor();
      await expect.poll(() => reads.length).toBe(2); // messages and turns, once the stream is open
      await watched.clock.runFor(30_000); // thirty poll intervals of the old page
      expect(reads.length).toBe(2);
      reads.length = 0;

      expect((await api.call('POST', `/v1/conversations/${id}/messages`, tenant.key, { content: 'hello live' })).status).toBe(201);
      const reply = watched.locator('.message.assistant:not(.writing) .content');
      await reply.waitFor({ timeout: 60_000 });
      expect(await reply.textContent()).toBe('echo: hello live');
      await watched.locator('tr[data-turn-status="succeeded"]').waitFor({ timeout: 30_000 });
      // one read per event at most: the new messages (after the last seq shown) and the turn list
      const messageReads = reads.filter((r) => r.includes('/messages'));
      expect(messageReads.length).toBeGreaterThanOrEqual(1);
      expect(messageReads.length).toBeLessThanOrEqual(2); // two message.created
      for (const r of messageReads) expect(new URL(r).searchParams.get('after')).toMatch(/^[01]$/);
      expect(reads.filter((r) => r.includes('/turns')).length).toBeLessThanOrEqual(2); // turn.started, turn.succeeded
      const settled = reads.length;
      await watched.clock.runFor(30_000);
      expect(reads.length).toBe(settled);
    } finally {
      await watched.close();
    }
  });

  it('shows a reply being written from message.delta events until its message is stored', async () => {
    const id = (await api.call('POST', '/v1/conversations', tenant.key, { title: 'deltas', trigger: { mode: 'never' } })).body.id;
    const turnId = 'turn_01h2xcejqtf2nbrexx3vqjhp41';
    const delta = (index: number, text: string) =>
      `event: message.delta\ndata: ${JSON.stringify({ tenantId: tenant.id, conversationId: id, turnId, attempt: 1, index, text })}\n\n`;
    const stored = `id: 1\nevent: message.created\ndata: ${JSON.stringify({
      id: 1,
      type: 'message.created',
      conversationId: id,
      createdAt: new Date().toISOString(),
      data: { messageId: 'msg_x', seq: 1, role: 'assistant', sender: null, content: 'Hello, world', turnId },
    })}\n\n`;
    // Deltas are not stored events: the stream is scripted here, first the deltas, then (on reconnect, once the
    // test has looked) the stored message.
    let looked = () => {};
    const seen = new Promise<void>((resolve) => {
      looked = resolve;
    });
    let opened = 0;
    const watched = await context.newPage();
    try {
      await watched.route(`**/v1/conversations/${id}/events`, async (route) => {
        const n = ++opened;
        if (n > 1) await seen;
        const body = n === 1 ? `retry: 50\n\n${delta(1, ', world')}${delta(0, 'Hello')}` : `retry: 60000\n\n${n === 2 ? stored : ''}`;
        await route.fulfill({ status: 200, contentType: 'text/event-stream', body });
      });
      await watched.goto(url(`/conversations/${id}`));
      const writing = watched.locator('.message.writing');
      await writing.waitFor();
      expect(await writing.locator('.meta').textContent()).toContain('writing…');
      expect(await writing.locator('.content').textContent()).toBe('Hello, world');
      looked();
      await expect.poll(() => writing.count()).toBe(0);
    } finally {
      await watched.close();
    }
  });

  it('says when live updates are paused, polls meanwhile, and goes live again when the stream is back', async () => {
    const id = (await api.call('POST', '/v1/conversations', tenant.key, { title: 'outage', trigger: { mode: 'never' } })).body.id;
    const watched = await context.newPage();
    try {
      await watched.clock.install();
      const events = `**/v1/conversations/${id}/events`;
      await watched.route(events, (route) => route.abort('connectionrefused'));
      await watched.goto(url(`/conversations/${id}`));
      await watched.getByText('No messages yet.').waitFor();
      await watched.clock.runFor(5_000);
      await watched.locator('[data-live="paused"]').waitFor();
      expect(await watched.locator('[data-live]').textContent()).toBe('live updates paused — retrying');
      await expectAccessible(watched, 'conversation-paused');
      const reads = readsOf(watched);
      await watched.clock.runFor(3_000);
      await expect.poll(() => reads.filter((r) => r.includes('/messages')).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2); // polling
      await withTenant(stack.db.pool, tenant.id, (tx) => appendUserMessage(tx, id, { content: 'while paused' }));
      await watched.clock.runFor(1_000);
      await watched.getByText('while paused').waitFor();

      await watched.unroute(events);
      await watched.clock.runFor(10_000); // the browser's reconnection delay, or the page's own
      await watched.locator('[data-live="live"]').waitFor({ timeout: 30_000 });
      const before = reads.length;
      await watched.clock.runFor(30_000);
      expect(reads.length - before).toBeLessThanOrEqual(2); // the catch-up read of each when the stream opened; no polling
    } finally {
      await watched.close();
    }
  });

  it('finds conversations by title and by external id', async () => {
    await page.getByRole('link', { name: 'Conversations', exact: true }).click();
    await page.getByLabel('Search term').fill('browser');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Browser chat' }).waitFor();
    await page.getByLabel('Search by').selectOption('externalId');
    await page.getByLabel('Search term').fill('no-such-id');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No conversation matches.').waitFor();
    await page.getByLabel('Search term').fill('browser-1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Browser chat' }).waitFor();
    await expectAccessible(page, 'conversations');
    await capture(page, 'conversations');
    await page.setViewportSize(PHONE);
    await capture(page, 'conversations');
    await page.setViewportSize(DESKTOP);
  });

  it('creates an API key shown once, and revokes it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Key name').fill('ci-key');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent())!;
    expect(key).toMatch(/^wrn_/);
    expect((await api.call('GET', '/v1/conversations', key)).status).toBe(200);
    await expectAccessible(page, 'api-keys');
    await capture(page, 'api-keys');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('new-key').count()).toBe(0); // not shown again
    await page.getByRole('button', { name: 'Revoke key ci-key' }).click();
    await page.getByText(/^revoked /).waitFor();
    expect((await api.call('GET', '/v1/conversations', key)).status).toBe(401);
  });

  it('sets, replaces and removes the model credential, never showing it', async () => {
    await page.getByRole('link', { name: 'Model credential' }).click();
    await page.getByText("No key of your own: model calls use the platform's key.").waitFor();
    for (const key of ['sk-ant-first-key-for-the-dashboard-1111', 'sk-ant-second-key-for-the-dashboard-2222']) {
      await page.getByLabel('Anthropic API key').fill(key);
      await page.getByRole('button', { name: 'Set or replace key' }).click();
      await page.getByText(`…${key.slice(-4)}`).waitFor();
      expect(await page.content()).not.toContain(key);
    }
    await expectAccessible(page, 'credential');
    await capture(page, 'credential');
    await page.getByRole('button', { name: 'Remove key' }).click();
    await page.getByText("No key of your own: model calls use the platform's key.").waitFor();
    expect((await api.call('GET', '/v1/credentials', tenant.key)).body.data).toEqual([]);
  });

  it('shows usage against the budget as a chart', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    // the proxy meters the reply's model calls in batches: the chart appears once they are flushed
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.locator('svg.chart rect').count();
        },
        { timeout: 30_000 },
      )
      .toBe(1);
    await expectAccessible(page, 'usage');
    await capture(page, 'usage');
    await page.setViewportSize(PHONE);
    await capture(page, 'usage');
    await page.setViewportSize(DESKTOP);
  });

  it('manages a webhook endpoint: its secret shown once, a delivery and its attempts, a failed redelivery, disabling', async () => {
    // the receiver: answers `answer` and keeps what it got
    let answer = 200;
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer === 200 ? 'thanks' : 'receiver is down');
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => receiver.listen(port, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${port}/events`;
    try {
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
      await page.getByText('No endpoints yet').waitFor();

      // credentials in the URL: the API's refusal (422 destination-refused) shows at the URL field
      await page.getByLabel('URL').fill(`http://user:pw@127.0.0.1:${port}/events`);
      await page.getByRole('button', { name: 'Create endpoint' }).click();
      await expect.poll(() => page.locator('#new-url-error').textContent()).toMatch(/refused as a webhook destination/);
      expect(await page.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');

      await page.getByLabel('URL').fill(hookUrl);
      await page.getByLabel('Description').fill('the test receiver');
      await page.getByRole('checkbox', { name: 'message.created' }).check();
      await page.getByRole('button', { name: 'Create endpoint' }).click();
      const secret = (await page.getByTestId('new-secret').textContent())!;
      expect(secret).toMatch(/^whsec_/);
      expect(await page.getByText('shown once').count()).toBe(1);
      expect(await page.locator('#new-url').inputValue()).toBe(''); // the form starts over
      await page.getByRole('cell', { name: 'message.created' }).waitFor();
      expect(await page.getByRole('cell', { name: 'enabled' }).count()).toBe(1);
      await expectAccessible(page, 'webhooks');
      await capture(page, 'webhooks');
      await page.setViewportSize(PHONE);
      await capture(page, 'webhooks');
      await page.setViewportSize(DESKTOP);
      await page.getByRole('button', { name: 'Done' }).click();
      expect(await page.getByTestId('new-secret').count()).toBe(0); // not shown again

      // a message in a conversation: its message.created goes out, signed with the secret shown
      const conversation = (await api.call('POST', '/v1/conversations', tenant.key, { title: 'hooked', trigger: { mode: 'never' } })).body
        .id;
      expect((await api.call('POST', `/v1/conversations/${conversation}/messages`, tenant.key, { content: 'hello hooks' })).status).toBe(
        201,
      );
      await page.getByRole('link', { name: hookUrl }).click();
      await page.getByRole('heading', { name: `Endpoint ${hookUrl}`, level: 1 }).waitFor();
      const succeeded = page.locator('tr[data-delivery-status="succeeded"]');
      await succeeded.waitFor({ timeout: 30_000 }); // the list polls
      expect(await page.locator('tr[data-delivery-status]').count()).toBe(1);
      const deliveryId = (await succeeded.getByRole('button').textContent())!;
      await succeeded.getByRole('button').click();
      await page.locator('tr[data-attempt-trigger="scheduled"][data-attempt-status="200"]').waitFor();
      expect(await page.getByText('thanks').count()).toBe(1); // the start of the response
      const [sent] = received;
      expect(sent!.headers['webhook-id']).toBe(deliveryId);
      expect(JSON.parse(sent!.body)).toMatchObject({
        type: 'message.created',
        data: { conversationId: conversation, content: 'hello hooks' },
      });
      const signed = `${deliveryId}.${sent!.headers['webhook-timestamp']}.${sent!.body}`;
      const signature = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64'))
        .update(signed)
        .digest('base64');
      expect(sent!.headers['webhook-signature']).toBe(`v1,${signature}`);
      await expectAccessible(page, 'webhook-endpoint');
      await capture(page, 'webhook-endpoint');
      await page.setViewportSize(PHONE);
      await capture(page, 'webhook-endpoint');
      await page.setViewportSize(DESKTOP);

      // the receiver fails: a redelivery is one manual attempt, failed, with the receiver's answer
      answer = 500;
      await page.getByRole('button', { name: 'Redeliver' }).click();
      const manual = page.locator('tr[data-attempt-trigger="manual"]');
      await manual.waitFor({ timeout: 30_000 });
      expect(await manual.getAttribute('data-attempt-status')).toBe('500');
      expect(await manual.textContent()).toContain('receiver is down');
      await page.locator('tr[data-delivery-status="failed"]').waitFor();
      await page.getByText('1 failed in a row').waitFor();
      expect(received.map((r) => r.headers['webhook-id'])).toEqual([deliveryId, deliveryId]);

      // another client disables the endpoint before a page reads it again: that page's paused clock holds its
      // polls, so its button is still enabled, and the API's 409 is what tells (a context of its own: a clock is
      // the context's)
      const staleContext = await browser.newContext({ viewport: DESKTOP, storageState: await context.storageState() });
      try {
        const stale = await staleContext.newPage();
        await stale.clock.install();
        await stale.goto(page.url());
        await stale.getByRole('button', { name: `Attempts of ${deliveryId}` }).click();
        const redeliver = stale.getByRole('button', { name: 'Redeliver' });
        await redeliver.waitFor();
        await stale.clock.pauseAt(Date.now() + 1000);
        const endpointId = new URL(page.url()).pathname.split('/').at(-1)!;
        expect((await api.call('PATCH', `/v1/webhook-endpoints/${endpointId}`, tenant.key, { enabled: false })).status).toBe(200);
        await redeliver.click();
        await expect
          .poll(async () => {
            await stale.clock.runFor(1); // the query library hands results on with a zero timeout
            return stale.getByRole('alert').allTextContents();
          })
          .toEqual(['the endpoint is disabled: enable it first']);
      } finally {
        await staleContext.close();
      }
      await page.getByRole('button', { name: 'Enable endpoint' }).click();

      // edit, rotate (the new secret shown once), disable: redelivery is then refused, and said why
      await page.getByRole('button', { name: 'Edit endpoint' }).click();
      await page.locator('#edit-description').fill('the test receiver, edited');
      await page.getByRole('button', { name: 'Save endpoint' }).click();
      await page.getByText('the test receiver, edited').waitFor();
      await page.getByRole('button', { name: 'Rotate secret…' }).click();
      await page.getByLabel('Old secret keeps signing for').selectOption('3600');
      await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
      const rotated = (await page.getByTestId('new-secret').textContent())!;
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(secret);
      await page.getByText('The old secret also signs until').waitFor();
      await page.getByRole('button', { name: 'Done' }).click();
      await page.getByRole('button', { name: 'Disable endpoint' }).click();
      await page.getByRole('button', { name: 'Enable endpoint' }).waitFor();
      expect(await page.locator('.facts .badge').textContent()).toBe('disabled (by hand)');
      expect(await page.getByRole('button', { name: 'Redeliver' }).isDisabled()).toBe(true);
      expect(await page.getByText('The endpoint is disabled: enable it to send again.').count()).toBe(1);
      const stored = (await api.call('GET', '/v1/webhook-endpoints', tenant.key)).body.data;
      expect(stored).toMatchObject([{ url: hookUrl, enabled: false, disabledReason: 'manual', description: 'the test receiver, edited' }]);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('deletes a webhook endpoint after asking', async () => {
    await page.getByRole('button', { name: 'Delete endpoint…' }).click();
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await page.getByRole('button', { name: 'Yes, delete it' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Delete endpoint…' }).click();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
    await page.getByText('No endpoints yet').waitFor();
    expect((await api.call('GET', '/v1/webhook-endpoints', tenant.key)).body.data).toEqual([]);
  });

  it("schedules a task from its conversation's page: a bad schedule refused at its field, run now, paused, resumed, deleted", async () => {
    const conversationId = new URL(conversationUrl).pathname.split('/').at(-1)!;
    await page.goto(conversationUrl);
    await page.getByRole('link', { name: 'Tasks of this conversation' }).click();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await page.getByText('No tasks in this conversation.').waitFor();
    expect(await page.getByLabel('Conversation', { exact: true }).inputValue()).toBe(conversationId);

    // closer than the tenant's minimum of 60 s: the API's refusal shows at the interval
    await page.getByLabel('Prompt').fill('browser task report');
    await page.getByLabel('Interval').fill('10s');
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect.poll(() => page.locator('#new-value-error').textContent()).toMatch(/closer than 60 s/);
    expect(await page.getByLabel('Interval').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Interval').fill('1h');
    await page.getByRole('button', { name: 'Create task' }).click();
    const row = page.locator('tr[data-task-status="active"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('every hour');
    expect(await page.getByLabel('Prompt').inputValue()).toBe(''); // the form starts over
    await expectAccessible(page, 'tasks');
    await capture(page, 'tasks');
    await page.setViewportSize(PHONE);
    await capture(page, 'tasks');
    await page.setViewportSize(DESKTOP);

    // run now: the run appears, the worker runs its turn, and it ends with the turn's usage
    await page.getByRole('link', { name: 'browser task report' }).click();
    await page.getByRole('heading', { name: 'Task browser task report', level: 1 }).waitFor();
    await page.getByText('No runs yet').waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.locator('tr[data-run-status]').waitFor(); // the runs poll
    const succeeded = page.locator('tr[data-run-status="succeeded"]');
    await succeeded.waitFor({ timeout: 60_000 });
    expect(await succeeded.locator('td[data-label="Usage (in/out)"]').textContent()).toMatch(/^\d+ \/ \d+$/);
    await expectAccessible(page, 'task');
    await capture(page, 'task');
    await page.setViewportSize(PHONE);
    await capture(page, 'task');
    await page.setViewportSize(DESKTOP);
    const taskUrl = page.url();
    const taskId = new URL(taskUrl).pathname.split('/').at(-1)!;
    await succeeded.getByRole('link', { name: /^Turn turn_/ }).click();
    await page.locator('.message.assistant .content', { hasText: 'browser task report' }).waitFor();

    // edit, pause, resume
    await page.goto(taskUrl);
    await page.getByRole('button', { name: 'Edit task' }).click();
    await page.locator('#edit-prompt').fill('browser task report, edited');
    await page.getByRole('button', { name: 'Save task' }).click();
    await page.getByRole('heading', { name: 'Task browser task report, edited', level: 1 }).waitFor();
    expect((await api.call('GET', `/v1/tasks/${taskId}`, tenant.key)).body).toMatchObject({
      prompt: 'browser task report, edited',
      schedule: { kind: 'interval', value: '1h' },
    });
    await page.getByRole('button', { name: 'Pause task' }).click();
    await page.getByRole('button', { name: 'Resume task' }).waitFor();
    expect((await api.call('GET', `/v1/tasks/${taskId}`, tenant.key)).body).toMatchObject({ status: 'paused', nextRunAt: null });
    await page.getByRole('button', { name: 'Resume task' }).click();
    await page.getByRole('button', { name: 'Pause task' }).waitFor();
    expect((await api.call('GET', `/v1/tasks/${taskId}`, tenant.key)).body.status).toBe('active');

    // deletion asks first
    await page.getByRole('button', { name: 'Delete task…' }).click();
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect(await page.getByRole('button', { name: 'Yes, delete it' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Delete task…' }).click();
    await page.getByRole('button', { name: 'Yes, delete it' }).click();
    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await page.getByText('No tasks yet').waitFor();
    expect((await api.call('GET', `/v1/tasks/${taskId}`, tenant.key)).body.status).toBe('cancelled');
  });

  it("shows every message of a long conversation, past the API's page of 200, and new ones as they come", async () => {
    const long = (await api.call('POST', '/v1/conversations', tenant.key, { title: 'long', trigger: { mode: 'never' } })).body.id;
    await withTenant(stack.db.pool, tenant.id, async (tx) => {
      for (let i = 1; i <= 450; i++) await appendUserMessage(tx, long, { content: `line ${i}` });
    });
    await page.goto(url(`/conversations/${long}`));
    const messages = page.getByRole('list', { name: 'Messages' }).getByRole('listitem');
    await expect.poll(() => messages.count(), { timeout: 20_000 }).toBe(450);
    expect(await messages.last().textContent()).toContain('line 450');
    await withTenant(stack.db.pool, tenant.id, (tx) => appendUserMessage(tx, long, { content: 'line 451' }));
    await expect.poll(() => messages.count(), { timeout: 20_000 }).toBe(451);
  });

  it("sees another tenant's conversation as not found", async () => {
    const theirs = (await api.call('POST', '/v1/conversations', other.key, { title: 'their secret' })).body.id;
    await page.goto(url(`/conversations/${theirs}`));
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/not found/i);
    expect(await page.content()).not.toContain('their secret');
  });

  it('is refused a write from another site, and a write without the CSRF header', async () => {
    // another site (localhost is not 127.0.0.1's site) posting to the API: the cookie stays home
    const port = await freePort();
    const attacker: Server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(
        `<form method="post" action="${api.base}/v1/api-keys" enctype="text/plain"><input name='{"name":"evil","x":"' value='"}'></form>
         <script>document.forms[0].submit()</script>`,
      ),
    );
    await new Promise<void>((resolve) => attacker.listen(port, '127.0.0.1', resolve));
    try {
      const evil = await context.newPage();
      const answer = evil.waitForResponse((r) => r.url().endsWith('/v1/api-keys'));
      await evil.goto(`http://localhost:${port}/`);
      expect((await answer).status()).toBe(401); // no cookie came with it
      await evil.close();
    } finally {
      await new Promise((resolve) => attacker.close(resolve));
    }
    // same origin but without the token: a script that does not know it cannot write
    const status = await page.evaluate(
      async () =>
        (await fetch('/v1/api-keys', { method: 'POST', body: '{"name":"nope"}', headers: { 'content-type': 'application/json' } })).status,
    );
    expect(status).toBe(403);
    const names = (await api.call('GET', '/v1/api-keys', tenant.key)).body.data.map((k: { name: string }) => k.name);
    expect(names).not.toContain('evil');
    expect(names).not.toContain('nope');
  });

  it('signs out: the session is revoked on the server', async () => {
    const [cookie] = await context.cookies();
    await page.goto(conversationUrl);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Warren' }).waitFor();
    const replay = await fetch(`${api.base}/v1/conversations`, { headers: { cookie: `warren_session=${cookie!.value}` } });
    expect(replay.status).toBe(401);
  });
});

describe('message.delta text', () => {
  it('is put together by index; a repeated index replaces, a later attempt starts over, an earlier one is ignored', () => {
    const d = (attempt: number, index: number, text: string) => ({ turnId: 'turn_a', attempt, index, text });
    let w = withDelta([], d(1, 1, ' world'));
    w = withDelta(w, d(1, 0, 'hello'));
    w = withDelta(w, d(1, 1, ' there'));
    expect(w.map((x) => x.parts.join(''))).toEqual(['hello there']);
    w = withDelta(w, d(2, 0, 'again'));
    w = withDelta(w, d(1, 2, ' late'));
    expect(w).toEqual([{ turnId: 'turn_a', attempt: 2, parts: ['again'] }]);
  });
});

describe('operator', () => {
  it("edits every tenant limit the API takes, within the API's bounds", () => {
    const ranges = (entries: Array<[string, { min: number; max: number }]>) =>
      Object.fromEntries(entries.map(([key, { min, max }]) => [key, { min, max }]));
    expect(ranges(tenantLimits.map((l) => [l.key, l]))).toEqual(ranges(Object.entries(tenantLimitBounds)));
  });

  it('sees a dead-lettered turn in the ops console and redrives it; the turn then answers', async () => {
    // the state a dead-lettered job leaves: a running turn out of attempts whose lease lapsed, and its job in turn_dead
    const conversationId = (await api.call('POST', '/v1/conversations', tenant.key, { title: 'poisoned', trigger: { mode: 'never' } })).body
      .id;
    await withTenant(stack.db.pool, tenant.id, async (tx) => {
      await appendUserMessage(tx, conversationId, { content: 'poison' });
      await tx.client.query(
        `INSERT INTO turns (id, conversation_id, status, from_seq, to_seq, attempt, started_at, lease_expires_at)
         VALUES ($2, $1, 'running', 0, 1, 6, now(), now() - interval '1 second')`,
        [conversationId, newId('turn')],
      );
    });
    const boss = new PgBoss({ connectionString: stack.db.url, schema: QUEUE_SCHEMA, supervise: false, schedule: false, migrate: false });
    boss.on('error', (err) => stack.logger.error({ err }, 'test pg-boss error'));
    await boss.start();
    await boss.send(TURN_DEAD_LETTER_QUEUE, { tenantId: tenant.id, conversationId, kind: 'message' });
    await boss.stop({ graceful: false });

    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    try {
      await signInByKeyboard(page, OPS_TOKEN, true);
      const redrive = page.getByRole('button', { name: /^Redrive / });
      await redrive.waitFor({ timeout: 60_000 }); // the worker's turn_dead consumer marks the turn dead_lettered
      expect(await page.getByText('the queue gave up on this turn after 6 attempt(s)').count()).toBe(1);
      await page.getByRole('heading', { name: 'Queues' }).waitFor();
      expect(await page.getByRole('cell', { name: 'turn_dead' }).count()).toBe(1);
      await page.getByText(/live sandbox/).waitFor({ timeout: 15_000 }); // the worker's heartbeat
      await page.getByRole('button', { name: 'Suspend other' }).waitFor();
      await expectAccessible(page, 'ops');
      await capture(page, 'ops');
      await page.setViewportSize(PHONE);
      await capture(page, 'ops');
      await page.setViewportSize(DESKTOP);

      await redrive.click();
      await page.getByText('No dead-lettered turns.').waitFor({ timeout: 30_000 });
      await expect
        .poll(async () => (await api.call('GET', `/v1/conversations/${conversationId}/turns`, tenant.key)).body.data[0]?.status, {
          timeout: 60_000,
        })
        .toBe('succeeded');
      const messages = (await api.call('GET', `/v1/conversations/${conversationId}/messages`, tenant.key)).body.data;
      expect(messages.map((m: { content: string }) => m.content)).toEqual(['poison', 'echo: poison']);

      // the worker's own figures: the turns it ran, by outcome, and its live sandboxes; no tenant label
      const figures = await (await fetch(workerMetrics)).text();
      expect(figures).toMatch(/warren_turn_jobs_total\{outcome="answered"\} [1-9]/);
      expect(figures).toMatch(/warren_turn_job_duration_seconds_count\{outcome="answered"\} [1-9]/);
      expect(figures).toMatch(/warren_sandboxes_live [1-9]/);
      expect(figures).not.toContain(tenant.id);

      // edit a tenant's limits from the console: every limit the API takes, its refusals shown at the field
      await page.getByRole('button', { name: 'Edit limits of other' }).click();
      const form = page.getByRole('region', { name: 'Limits of other' });
      expect(await form.getByRole('textbox').count()).toBe(Object.keys(tenantLimitBounds).length);
      expect(await form.getByLabel('retainTurnsDays').getAttribute('placeholder')).toBe('default');
      await expectAccessible(page, 'ops-limits');
      await page.setViewportSize(PHONE);
      await capture(page, 'ops-limits');
      await page.setViewportSize(DESKTOP);
      await form.getByLabel('maxApiKeys').fill('7');
      await form.getByLabel('retainTurnsDays').fill('0');
      await form.getByRole('button', { name: 'Save limits' }).click();
      const refusal = form.locator('#limit-retainTurnsDays-error');
      await refusal.waitFor();
      expect(await refusal.textContent()).toMatch(/>=\s*1|at least 1|too small/i);
      expect(await form.getByLabel('retainTurnsDays').getAttribute('aria-invalid')).toBe('true');
      await form.getByLabel('retainTurnsDays').fill('');
      await form.getByLabel('maxConcurrentTurns').fill('3');
      await form.getByRole('button', { name: 'Save limits' }).click();
      await page.getByText('maxConcurrentTurns: 3 · maxApiKeys: 7').waitFor();
      const saved = await fetch(`${api.base}/v1/admin/tenants/${other.id}`, { headers: { authorization: `Bearer ${OPS_TOKEN}` } }).then(
        (r) => r.json(),
      );
      expect(saved).toMatchObject({ maxConcurrentTurns: 3, maxApiKeys: 7, retainTurnsDays: null });

      // suspend and resume a tenant from the console
      await page.getByRole('button', { name: 'Suspend other' }).click();
      await page.getByRole('button', { name: 'Resume other' }).waitFor();
      expect((await api.call('GET', '/v1/conversations', other.key)).status).toBe(403);
      await page.getByRole('button', { name: 'Resume other' }).click();
      await page.getByRole('button', { name: 'Suspend other' }).waitFor();
      expect((await api.call('GET', '/v1/conversations', other.key)).status).toBe(200);
    } finally {
      await context.close();
    }
  }, 180_000);
});
