import type { Logger } from '@warren/core';
import { type Pool, type TenantTx, withTenant } from '@warren/db';
import {
  localWorkspaceVersion,
  restoreWorkspace,
  setLocalWorkspaceVersion,
  type WarmSandbox,
  type WorkspaceCopy,
  WorkspaceSnapshotTooLarge,
  type WorkspaceSync,
} from '@warren/sandbox';

// The durable copy of each conversation's workspace (`workspace_snapshots`): saved with the
// commit of a turn that changed a file, restored before a sandbox starts on a host whose own
// copy is older. The local image carries the version it holds beside it (workspace.version).

/** A turn that ends with its workspace full ends failed, not retried (it would fill it again). */
export class WorkspaceQuotaExceeded extends Error {
  override name = 'WorkspaceQuotaExceeded';
  readonly kind = 'workspace_quota';
}

export async function snapshotVersion(tx: TenantTx, conversationId: string): Promise<number | null> {
  const { rows } = await tx.client.query<{ version: string }>('SELECT version FROM workspace_snapshots WHERE conversation_id = $1', [
    conversationId,
  ]);
  return rows[0] ? Number(rows[0].version) : null;
}

export async function loadSnapshot(tx: TenantTx, conversationId: string): Promise<{ version: number; data: Buffer } | null> {
  const { rows } = await tx.client.query<{ version: string; data: Buffer }>(
    'SELECT version, data FROM workspace_snapshots WHERE conversation_id = $1',
    [conversationId],
  );
  return rows[0] ? { version: Number(rows[0].version), data: rows[0].data } : null;
}

/**
 * Stores the next version of the conversation's workspace, made from `baseVersion` (null: the
 * first), while `workerId` owns the conversation. Null when either is no longer true: another
 * worker's copy came in between, and this one must not overwrite it.
 */
export async function saveSnapshot(
  tx: TenantTx,
  conversationId: string,
  snapshot: { baseVersion: number | null; data: Buffer; workerId: string },
): Promise<number | null> {
  const { rows } = await tx.client.query<{ version: string }>(
    `INSERT INTO workspace_snapshots AS w (conversation_id, version, bytes, data)
     SELECT $1, 1, $2, $3 WHERE EXISTS (SELECT 1 FROM sandbox_owners WHERE conversation_id = $1 AND worker_id = $4)
     ON CONFLICT (conversation_id) DO UPDATE SET version = w.version + 1, bytes = $2, data = $3, updated_at = now()
      WHERE w.version = $5
     RETURNING version`,
    [conversationId, snapshot.data.length, snapshot.data, snapshot.workerId, snapshot.baseVersion],
  );
  return rows[0] ? Number(rows[0].version) : null;
}

/** A turn's copy of its workspace, to save in the turn's commit transaction. */
export interface PendingSnapshot {
  /** Null when another copy came first (see saveSnapshot). */
  save(tx: TenantTx): Promise<number | null>;
  /** After the commit: the local image holds the saved version; or, refused, it is stale and its sandbox goes. */
  saved(version: number | null): Promise<void>;
}

export class DurableWorkspaces implements WorkspaceSync {
  private readonly deps: { pool: Pool; workerId: string; maxBytes: number; logger: Logger };

  constructor(deps: { pool: Pool; workerId: string; maxBytes: number; logger: Logger }) {
    this.deps = deps;
  }

  /** Restores the durable copy when this host has none of the conversation's, or an older one. */
  async beforeStart(tenantId: string, conversationId: string, workspaceDir: string): Promise<void> {
    const local = await localWorkspaceVersion(workspaceDir);
    const durable = await withTenant(this.deps.pool, tenantId, (tx) => snapshotVersion(tx, conversationId));
    if (durable === null || (local !== null && local >= durable)) {
      this.deps.logger.debug({ tenantId, conversationId, local, durable }, 'local workspace is current');
      return;
    }
    const snapshot = await withTenant(this.deps.pool, tenantId, (tx) => loadSnapshot(tx, conversationId));
    if (!snapshot) return; // its conversation was deleted meanwhile
    await restoreWorkspace(workspaceDir, snapshot.data);
    await setLocalWorkspaceVersion(workspaceDir, snapshot.version);
    this.deps.logger.info({ tenantId, conversationId, version: snapshot.version, bytes: snapshot.data.length }, 'workspace restored');
  }

  /**
   * After a turn: a copy of the sandbox's workspace when a file changed, to save with the
   * turn's commit. A copy over the size cap is not kept (logged): the workspace then follows
   * the conversation only while its sandbox stays on this host.
   */
  async changed(sandbox: WarmSandbox): Promise<PendingSnapshot | null> {
    let copy: WorkspaceCopy | null;
    try {
      copy = await sandbox.changedWorkspace(this.deps.maxBytes);
    } catch (err) {
      if (!(err instanceof WorkspaceSnapshotTooLarge)) throw err;
      this.deps.logger.error({ err, sandboxId: sandbox.sandboxId }, 'workspace not saved: its snapshot is over the size cap');
      return null;
    }
    if (!copy) {
      this.deps.logger.debug({ sandboxId: sandbox.sandboxId, conversationId: sandbox.conversationId }, 'workspace unchanged');
      return null;
    }
    const { data, writes } = copy;
    const baseVersion = await localWorkspaceVersion(sandbox.workspaceDir);
    return {
      save: (tx) => saveSnapshot(tx, sandbox.conversationId, { baseVersion, data, workerId: this.deps.workerId }),
      saved: async (version) => {
        if (version === null) {
          this.deps.logger.error(
            { sandboxId: sandbox.sandboxId },
            'workspace snapshot refused: another copy is newer; closing the sandbox',
          );
          sandbox.process.kill('SIGKILL');
          return;
        }
        await setLocalWorkspaceVersion(sandbox.workspaceDir, version);
        await sandbox.markWorkspaceSaved(writes);
        this.deps.logger.debug(
          { sandboxId: sandbox.sandboxId, conversationId: sandbox.conversationId, version, bytes: data.length },
          'workspace saved',
        );
      },
    };
  }
}
