/// <reference lib="dom" />
// pnpm bench:dashboard — the tenant dashboard: its built bundle (raw and gzip, per asset), and
// navigation → first render of a conversation page holding 1,000 messages in Debian's Chromium,
// beside the same page with 10 messages and the raw API reads of the same messages from Node.
// The page reads one page of at most 200 messages, so it never shows the 1,000th: the table says so.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { appendUserMessage, createConversation } from '@warren/conversations';
import { createPool, freePort, withTenant } from '@warren/db';
import { provisionTenant } from '@warren/tenancy';
import { chromium, type Page } from 'playwright-core';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { startProgram, waitFor } from './lib/processes.ts';
import { percentile, printTable } from './lib/report.ts';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 10);
const OPS_TOKEN = 'bench-ops-token-0123456789abcdef';
const LINE = 'A message of about the length people write in a chat: a question, a detail or two, and a thanks. ';

// 1. the bundle, built as `pnpm --filter @warren/dashboard build` does, into a folder of our own
const dashboardDir = fileURLToPath(new URL('../apps/dashboard/', import.meta.url));
const vite = join(dirname(createRequire(dashboardDir).resolve('vite/package.json')), 'bin', 'vite.js');
const dist = mkdtempSync(join(tmpdir(), 'warren-bench-dashboard-'));
execFileSync(process.execPath, [vite, 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
  cwd: dashboardDir,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'production' },
});
const assets = readdirSync(dist, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => {
    const bytes = readFileSync(join(e.parentPath, e.name));
    return { asset: relative(dist, join(e.parentPath, e.name)), 'raw KiB': bytes.length / 1024, 'gzip KiB': gzipSync(bytes).length / 1024 };
  })
  .toSorted((a, b) => b['raw KiB'] - a['raw KiB']);
const sum = (key: 'raw KiB' | 'gzip KiB') => assets.reduce((total, a) => total + a[key], 0);
printTable('Dashboard bundle (vite build, production; gzip at zlib default level)', [
  ...assets,
  { asset: 'total', 'raw KiB': sum('raw KiB'), 'gzip KiB': sum('gzip KiB') },
]);

// 2. first render of the conversation page
const db = await benchDatabase();
const pool = createPool(db.url, { max: 4, logger: benchLogger });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const api = startProgram('apps/api/src/main.ts', {
  DATABASE_URL: db.url,
  OPS_TOKEN,
  PORT: String(port),
  DASHBOARD_DIR: dist,
  RATE_LIMIT_PER_MINUTE: '100000000',
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking'],
});

/**
 * Runs in the page before its scripts: notes (in ms since navigation start) when the message list
 * first appears, how many messages it holds then, and when the message numbered `last` appears.
 */
function watchMessages(last: number) {
  const seen = window as unknown as { listAt?: number; listed?: number; lastAt?: number };
  new MutationObserver(() => {
    const items = document.querySelectorAll('ol.messages > li');
    if (items.length > 0 && seen.listAt === undefined) [seen.listAt, seen.listed] = [performance.now(), items.length];
    if (seen.lastAt === undefined && [...items].some((li) => li.querySelector('.meta')?.textContent?.startsWith(`#${last} `)))
      seen.lastAt = performance.now();
  }).observe(document, { childList: true, subtree: true });
}

/** One navigation to the conversation page: ms to the list, messages it shows, ms to its last message (null: never shown). */
async function firstRender(page: Page, path: string) {
  await page.goto(`${base}/dashboard${path}`);
  const listed = await page.waitForFunction(() => (window as { listAt?: number }).listAt !== undefined, null, { timeout: 30_000 });
  await listed.dispose();
  // the page polls its messages every second: 2.5 s more is time enough for a later page of them to show
  await page
    .waitForFunction(() => (window as { lastAt?: number }).lastAt !== undefined, null, { timeout: 2_500 })
    .then((handle) => handle.dispose())
    .catch((err: Error) => {
      if (err.name !== 'TimeoutError') throw err;
    });
  return page.evaluate(() => {
    const w = window as unknown as { listAt: number; listed: number; lastAt?: number };
    return { listAt: w.listAt, shown: w.listed, lastAt: w.lastAt ?? null };
  });
}

try {
  await waitFor('API', async () => (await fetch(`${base}/readyz`)).ok);
  const { tenant, apiKey } = await provisionTenant(pool, { name: 'bench' });
  const seed = (count: number) =>
    withTenant(pool, tenant.id, async (tx) => {
      const conversation = await createConversation(tx, { title: `${count} messages` });
      for (let i = 1; i <= count; i++) await appendUserMessage(tx, conversation.id, { content: `${i}. ${LINE.repeat(2)}` });
      return conversation.id;
    });
  const conversations = { 10: await seed(10), 1000: await seed(1000) };

  // sign in through the dashboard's own form: the API key becomes the context's session cookie
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const signIn = await context.newPage();
  await signIn.goto(`${base}/dashboard/`);
  await signIn.locator('#secret').fill(apiKey.key);
  await signIn.keyboard.press('Enter');
  await signIn.getByRole('heading', { name: 'Conversations', level: 1 }).waitFor();
  await signIn.close();

  const rows = [];
  for (const count of [1000, 10] as const) {
    const page = await context.newPage();
    await page.addInitScript(watchMessages, count);
    await firstRender(page, `/conversations/${conversations[count]}`); // warm-up: HTTP cache, API's pools
    const samples = [];
    for (let i = 0; i < SAMPLES; i++) samples.push(await firstRender(page, `/conversations/${conversations[count]}`));
    await page.close();
    const lists = samples.map((s) => s.listAt);
    const lasts = samples.flatMap((s) => (s.lastAt === null ? [] : [s.lastAt]));
    rows.push({
      measure: `page with ${count} messages: navigation → message list rendered`,
      'p50 ms': percentile(lists, 50),
      'p99 ms': percentile(lists, 99),
      messages: `${samples[0]!.shown} in DOM`,
      'last message in DOM':
        lasts.length === samples.length ? `yes, p50 ${percentile(lasts, 50).toFixed(0)} ms` : `no (${lasts.length}/${samples.length})`,
    });
  }

  // baseline: the same messages read from Node through the API, in its largest pages (200)
  const headers = { authorization: `Bearer ${apiKey.key}` };
  const read = async (id: string, pages: number) => {
    let after = 0;
    let messages = 0;
    for (let i = 0; i < pages; i++) {
      const res = await fetch(`${base}/v1/conversations/${id}/messages?after=${after}&limit=200`, { headers });
      if (!res.ok) throw new Error(`messages: ${res.status} ${await res.text()}`);
      const page = (await res.json()) as { data: unknown[]; next: number | null };
      messages += page.data.length;
      if (page.next === null) break;
      after = page.next;
    }
    return messages;
  };
  for (const [label, id, pages] of [
    ['all 1,000 messages (5 pages of 200)', conversations[1000], 5],
    ['the first page of 200', conversations[1000], 1],
    ['all 10 messages', conversations[10], 1],
  ] as const) {
    await read(id, pages);
    const times = [];
    let messages = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const t0 = performance.now();
      messages = await read(id, pages);
      times.push(performance.now() - t0);
    }
    rows.push({
      measure: `baseline: GET /v1/conversations/:id/messages from Node, ${label}`,
      'p50 ms': percentile(times, 50),
      'p99 ms': percentile(times, 99),
      messages: `${messages} read`,
      'last message in DOM': '',
    });
  }
  printTable(`Conversation page, first render in headless Chromium (warm HTTP cache), N=${SAMPLES}`, rows);
  await context.close();
} finally {
  await browser.close();
  api.kill('SIGTERM');
  await pool.end();
  await new Promise((r) => setTimeout(r, 500));
  await db.stop();
  rmSync(dist, { recursive: true, force: true });
}
