import { PgBoss } from 'pg-boss';

export const QUEUE_SCHEMA = 'pgboss';

/**
 * Creates or upgrades pg-boss's own schema. Part of `warren migrate`, so API and worker
 * processes never race to install it.
 */
export async function installQueue(connectionString: string): Promise<void> {
  const boss = new PgBoss({
    connectionString,
    schema: QUEUE_SCHEMA,
    max: 1,
    supervise: false,
    schedule: false,
    migrate: true,
    createSchema: true,
  });
  boss.on('error', () => {});
  await boss.start();
  await boss.stop({ graceful: false });
}
