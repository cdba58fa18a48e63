import { newId } from '@warren/core';
import { UsageMeter } from '@warren/proxy';
import { provisionTenant } from '@warren/tenancy';
import { captureLogs, createTestDatabase, type TestDatabase } from '@warren/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The usage meter's writes to control.usage fail visibly: each failed flush is logged with its
// error and retried, and what is still unwritten when the meter closes is logged as lost.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

it('logs a failed flush with its stack, keeps the rows, and logs what is lost at close', async () => {
  const logs = captureLogs('usage-meter');
  const meter = new UsageMeter(db.pool, logs.logger, 60_000);
  const { tenant } = await provisionTenant(db.pool, { name: 'metered' });
  const unknownTenant = newId('tenant'); // no such row: the foreign key refuses the batch
  meter.record(tenant.id, { model: 'm', inputTokens: 10, outputTokens: 5 });
  meter.record(unknownTenant, { model: 'm', inputTokens: 1, outputTokens: 1 });

  await meter.flush();
  const failed = logs.records.filter((r) => r.msg === 'usage flush failed; will retry');
  expect(failed).toHaveLength(1);
  expect(failed[0]!.level).toBe(50);
  expect(failed[0]!.err?.message).toMatch(/foreign key/);
  expect(failed[0]!.err?.stack).toMatch(/\n\s+at /);
  expect(meter.flushedBy(tenant.id)).toBe(0);

  await meter.close();
  const lost = logs.records.find((r) => r.msg.startsWith('usage not written before the meter closed'));
  expect(lost?.level).toBe(50);
  expect(lost?.lost).toEqual(
    expect.arrayContaining([
      { tenantId: tenant.id, model: 'm', requests: 1, inputTokens: 10, outputTokens: 5 },
      { tenantId: unknownTenant, model: 'm', requests: 1, inputTokens: 1, outputTokens: 1 },
    ]),
  );
});
