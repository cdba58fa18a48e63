import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { provisionTenant } from '@warren/tenancy';
import { createTestDatabase, freePort, type TestDatabase } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPS_TOKEN } from './harness.ts';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let db: TestDatabase;
let port: number;

/** The real API process, as production runs it. */
async function startApiProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, OPS_TOKEN, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return child;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('API did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  port = await freePort();
});
afterAll(() => db.drop());

describe('durability', () => {
  it('keeps every message answered 201 after the API process is killed with SIGKILL', async () => {
    const { apiKey } = await provisionTenant(db.pool, { name: 'durable' });
    const headers = { authorization: `Bearer ${apiKey.key}`, 'content-type': 'application/json' };
    let api = await startApiProcess();
    const base = `http://127.0.0.1:${port}`;
    const conv = (await (await fetch(`${base}/v1/conversations`, { method: 'POST', headers, body: '{}' })).json()) as { id: string };

    // Post continuously and kill the process mid-stream; remember what was acknowledged.
    const acknowledged: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${base}/v1/conversations/${conv.id}/messages`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ content: `w${w}-${i}` }),
          });
          if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
        } catch {
          return; // connection reset by the kill: unacknowledged, may or may not be stored
        }
      }
    });
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 5));
    await killed(api);
    stop = true;
    await Promise.all(writers);

    api = await startApiProcess();
    try {
      const stored = new Set<string>();
      let after = 0;
      for (;;) {
        const url = `${base}/v1/conversations/${conv.id}/messages?after=${after}&limit=200`;
        const page = (await (await fetch(url, { headers })).json()) as { data: Array<{ id: string }>; next: number | null };
        for (const m of page.data) stored.add(m.id);
        if (page.next === null) break;
        after = page.next;
      }
      expect(acknowledged.length).toBeGreaterThanOrEqual(40);
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      await killed(api);
    }
  });
});
