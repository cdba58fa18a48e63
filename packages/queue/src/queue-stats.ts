import type { Pool } from '@warren/db';
import { QUEUE_SCHEMA } from './schema.ts';

export interface QueueStats {
  name: string;
  /** Jobs waiting to be fetched (new or waiting for a retry). */
  queued: number;
  active: number;
  /** Age of the oldest waiting job, in seconds; 0 when none waits. */
  oldestQueuedSeconds: number;
}

/** Depth and age per queue, read from pg-boss's job table (one indexed scan of unfinished jobs). */
export async function queueStats(db: Pool): Promise<QueueStats[]> {
  const { rows } = await db.query<{ name: string; queued: number; active: number; oldest: number }>(
    `SELECT q.name,
            count(j.id) FILTER (WHERE j.state IN ('created', 'retry'))::int AS queued,
            count(j.id) FILTER (WHERE j.state = 'active')::int AS active,
            coalesce(extract(epoch FROM now() - min(j.created_on) FILTER (WHERE j.state IN ('created', 'retry'))), 0)::float8 AS oldest
       FROM ${QUEUE_SCHEMA}.queue q
       LEFT JOIN ${QUEUE_SCHEMA}.job j ON j.name = q.name AND j.state < 'completed'
      GROUP BY q.name ORDER BY q.name`,
  );
  return rows.map((r) => ({ name: r.name, queued: r.queued, active: r.active, oldestQueuedSeconds: Math.round(r.oldest) }));
}
