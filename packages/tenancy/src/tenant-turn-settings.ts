import { controlDb, type Pool } from '@warren/db';
import { ControlCache } from './control-cache.ts';
import { getTenant, type Tenant } from './tenants.ts';

export type TurnSettings = Pick<
  Tenant,
  | 'status'
  | 'maxConcurrentTurns'
  | 'workspaceBytes'
  | 'turnMaxOutputs'
  | 'turnMaxOutputBytes'
  | 'sandboxCpuPercent'
  | 'maxActiveTasks'
  | 'taskMinIntervalSeconds'
>;

/** What workers need to know of a tenant before running its turns, cached like API keys. */
export class TenantTurnSettings {
  private readonly cache = new ControlCache<TurnSettings>();
  private readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  listen(): Promise<void> {
    return this.cache.listen(this.pool);
  }

  /** null for a tenant that does not exist (any more). */
  get(tenantId: string): Promise<TurnSettings | null> {
    return this.cache.get(tenantId, async () => {
      const tenant = await getTenant(controlDb(this.pool), tenantId);
      if (!tenant) return null;
      const { status, maxConcurrentTurns, workspaceBytes, turnMaxOutputs, turnMaxOutputBytes, sandboxCpuPercent } = tenant;
      const { maxActiveTasks, taskMinIntervalSeconds } = tenant;
      return {
        status,
        maxConcurrentTurns,
        workspaceBytes,
        turnMaxOutputs,
        turnMaxOutputBytes,
        sandboxCpuPercent,
        maxActiveTasks,
        taskMinIntervalSeconds,
      };
    });
  }

  close(): Promise<void> {
    return this.cache.close();
  }
}
