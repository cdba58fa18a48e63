import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '@warren/core';
import { controlDb, controlSchema, type Pool, withTenant } from '@warren/db';
import { removeTenantFolder, type SandboxPool } from '@warren/sandbox';
import { inArray } from 'drizzle-orm';

/**
 * Removes from this host what deleted conversations and tenants left: their sandboxes and
 * folders (workspace image, IPC folders). Deleting a conversation is one transaction in the
 * database; its folders may be on any host, so each worker looks at its own now and then — one
 * query per tenant that has folders here, not a scan of the database.
 */
export class DeletedConversationSweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly deps: { pool: Pool; sandboxes: SandboxPool; root: string; intervalMs: number; logger: Logger };

  constructor(deps: { pool: Pool; sandboxes: SandboxPool; root: string; intervalMs: number; logger: Logger }) {
    this.deps = deps;
  }

  start(): void {
    const pass = async () => {
      try {
        const removed = await this.sweep();
        if (removed > 0) this.deps.logger.info({ removed }, 'removed the folders of deleted conversations');
      } catch (err) {
        this.deps.logger.error({ err }, 'could not sweep deleted conversations; trying again later');
      }
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = pass();
      }, this.deps.intervalMs);
      this.timer.unref();
    };
    this.running = pass();
  }

  /** One pass: returns how many conversations' folders it removed. */
  async sweep(): Promise<number> {
    const { pool, sandboxes, root, logger } = this.deps;
    const local = await sandboxes.localConversations();
    if (local.size === 0) return 0;
    const { tenants } = controlSchema;
    const existing = new Set(
      (
        await controlDb(pool)
          .select({ id: tenants.id })
          .from(tenants)
          .where(inArray(tenants.id, [...local.keys()]))
      ).map((t) => t.id),
    );
    let removed = 0;
    for (const [tenantId, conversationIds] of local) {
      const gone = existing.has(tenantId) ? await deletedAmong(pool, tenantId, conversationIds) : conversationIds;
      for (const conversationId of gone) {
        const result = await sandboxes.removeConversation(tenantId, conversationId);
        if (result === 'removed') removed++;
        else if (result === 'left-over')
          logger.warn({ tenantId, conversationId }, 'a deleted conversation left files the host does not remove');
      }
      if (!existing.has(tenantId)) {
        await removeTenantFolder(root, tenantId);
        // unpacked skills: the host's own files (sandboxes only ever see them read-only)
        await rm(join(resolve(root), '.skills', tenantId), { recursive: true, force: true });
      }
    }
    return removed;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/** Those of `ids` whose conversation no longer exists. */
async function deletedAmong(pool: Pool, tenantId: string, ids: string[]): Promise<string[]> {
  return withTenant(pool, tenantId, async (tx) => {
    const { rows } = await tx.client.query<{ id: string }>(
      'SELECT u.id FROM unnest($1::text[]) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = u.id)',
      [ids],
    );
    return rows.map((r) => r.id);
  });
}
