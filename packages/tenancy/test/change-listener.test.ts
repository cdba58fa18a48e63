import { ChangeListener } from '@warren/db';
import { createTestDatabase, superuserClient, type TestDatabase } from '@warren/testkit';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The NOTIFY listener behind the control caches and the workers' wake-ups, against a real
// Postgres that cuts its connection.

let db: TestDatabase;
let admin: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase();
  admin = await superuserClient(new URL(db.url).pathname.slice(1));
});
afterAll(async () => {
  await admin.end();
  await db.drop();
});

async function until(probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ChangeListener', () => {
  it('hears notifications, and again after its connection is cut and it has reconnected', async () => {
    let calls = 0;
    const listener = new ChangeListener('warren_test_changes', () => calls++);
    await listener.listen(db.pool);
    try {
      await admin.query('NOTIFY warren_test_changes');
      await until(() => calls === 1);

      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN warren_test_changes'`,
      );
      await until(() => !listener.listening);
      await until(() => listener.listening); // back, without anyone calling listen() again
      const afterReconnect = calls; // the loss and the return each count as a change
      expect(afterReconnect).toBeGreaterThanOrEqual(3);

      await admin.query('NOTIFY warren_test_changes');
      await until(() => calls === afterReconnect + 1);
    } finally {
      await listener.close();
    }
  });
});
