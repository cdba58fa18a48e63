// pnpm bench:wakeups — how fast an idle worker starts a job that was just sent: pg-boss's own
// NOTIFY (which wakes every fetch loop) with 1 and with 16 loops, against Warren's fetch loops
// (startFetchLoops: one NOTIFY wakes one idle loop) with 16 loops. Same database, same run.
import { createPool } from '@warren/db';
import { QUEUE_SCHEMA, startFetchLoops } from '@warren/queue';
import { PgBoss } from 'pg-boss';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { percentile, printTable } from './lib/report.ts';

const SENDS = Number(process.env.BENCH_SENDS ?? 200);
const LOOPS = 16;
const CHANNEL = 'bench_job_ready';

const db = await benchDatabase();
const pool = createPool(db.url, { max: 4, logger: benchLogger });
const boss = new PgBoss({ connectionString: db.url, schema: QUEUE_SCHEMA, max: LOOPS + 6, migrate: false, useListenNotify: true });
boss.on('error', () => {});
await boss.start();

/** Starts consumers on a new queue, then sends SENDS jobs one at a time; ms from send to handler. */
async function measure(
  name: string,
  notify: boolean,
  announce: boolean,
  consume: (queue: string, handler: () => void) => Promise<() => Promise<void>>,
) {
  const queue = `bench_${name}`;
  await boss.createQueue(queue, { policy: 'standard', notify });
  let started = 0;
  let arrived: () => void = () => {};
  const stop = await consume(queue, () => arrived());
  await new Promise((r) => setTimeout(r, 500)); // every loop idle and waiting
  const samples: number[] = [];
  for (let i = 0; i < SENDS; i++) {
    const handled = new Promise<void>((r) => (arrived = r));
    const client = await pool.connect();
    started = performance.now();
    await client.query('BEGIN');
    await boss.send(queue, { i }, { db: { executeSql: (text, values) => client.query(text, values as unknown[]) } });
    if (announce) await client.query(`SELECT pg_notify('${CHANNEL}', '')`);
    await client.query('COMMIT');
    client.release();
    await handled;
    samples.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 10));
  }
  await stop();
  return samples;
}

const pgBossLoops = (loops: number) => async (queue: string, handler: () => void) => {
  const id = await boss.work(queue, { localConcurrency: loops, pollingIntervalSeconds: 30 }, async () => handler());
  return () => boss.offWork(queue, { id });
};

try {
  const one = await measure('pgboss_1', true, false, pgBossLoops(1));
  const many = await measure('pgboss_16', true, false, pgBossLoops(LOOPS));
  const warren = await measure('warren_16', false, true, async (queue, handler) => {
    const loops = await startFetchLoops(
      boss,
      { queue, concurrency: LOOPS, channel: CHANNEL, pool, pollSeconds: 30, logger: benchLogger },
      async () => handler(),
    );
    return async () => {
      await boss.offWork(queue);
      await loops.close();
    };
  });
  printTable(`Send (committed) → handler starts, idle worker, ${SENDS} sends one at a time`, [
    { measure: 'baseline: pg-boss NOTIFY, 1 fetch loop', 'p50 ms': percentile(one, 50), 'p99 ms': percentile(one, 99) },
    { measure: `pg-boss NOTIFY, ${LOOPS} fetch loops (wakes all)`, 'p50 ms': percentile(many, 50), 'p99 ms': percentile(many, 99) },
    { measure: `startFetchLoops, ${LOOPS} fetch loops (wakes one)`, 'p50 ms': percentile(warren, 50), 'p99 ms': percentile(warren, 99) },
  ]);
} finally {
  await boss.stop({ graceful: false });
  await pool.end();
  await db.stop();
}
