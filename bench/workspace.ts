// pnpm bench:workspace — what it costs a workspace to follow its conversation between hosts,
// with a 10 MB workspace (random bytes, so compression cannot hide them) in a sparse image of
// the default 1 GiB quota. Baselines from the same run: the check every turn pays when no
// file changed, and a start on a warm host (the local image is current, nothing restored).
// Needs root (loop mounts), like the workspace quota itself.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConversation } from '@warren/conversations';
import { createPool, withTenant } from '@warren/db';
import {
  mountWorkspaceImage,
  prepareSandboxFolders,
  sandboxUser,
  snapshotWorkspace,
  unmountAllUnder,
  workspaceWrites,
} from '@warren/sandbox';
import { provisionTenant } from '@warren/tenancy';
import { DurableWorkspaces, saveSnapshot, takeOwnership } from '@warren/turns';
import { benchDatabase, benchLogger } from './lib/database.ts';
import { percentile, printTable } from './lib/report.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const QUOTA_BYTES = 1024 * 1024 * 1024;
const WORKSPACE_MB = 10;
const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;
const WORKER = 'wkr_bench';

if (process.getuid?.() !== 0) throw new Error('pnpm bench:workspace needs root: workspaces are loop-mounted images');
const db = await benchDatabase();
const dir = mkdtempSync(join(tmpdir(), 'warren-bench-workspace-'));
chmodSync(dir, 0o711);
const pool = createPool(db.url, { max: 4, logger: benchLogger });

/** Writes `mb` MiB of random bytes into the mounted workspace, as the sandbox user would. */
function fill(workspaceDir: string, mb: number): void {
  const asSandbox = ['--reuid', String(sandboxUser.uid), '--regid', String(sandboxUser.gid), '--clear-groups', '--'];
  execFileSync('setpriv', [...asSandbox, 'dd', 'if=/dev/urandom', `of=${workspaceDir}/data`, 'bs=1M', `count=${mb}`, 'status=none']);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

try {
  const { tenant } = await provisionTenant(pool, { name: 'bench' });
  const conversationId = await withTenant(pool, tenant.id, async (tx) => (await createConversation(tx, {})).id);
  await withTenant(pool, tenant.id, (tx) => takeOwnership(tx, conversationId, WORKER, 3600));
  const workspaces = new DurableWorkspaces({ pool, workerId: WORKER, maxBytes: MAX_SNAPSHOT_BYTES, logger: benchLogger });

  // the host where the conversation ran: a 10 MB workspace, saved once per round
  const home = await prepareSandboxFolders(join(dir, 'host-a'), tenant.id, conversationId);
  const mount = await mountWorkspaceImage(home.workspaceDir, QUOTA_BYTES);
  const unchanged: number[] = [];
  const snapshot: number[] = [];
  const save: number[] = [];
  let version: number | null = null;
  let snapshotBytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    fill(home.workspaceDir, WORKSPACE_MB);
    const [data, snapMs] = await timed(() => snapshotWorkspace(home.workspaceDir, MAX_SNAPSHOT_BYTES));
    const [saved, saveMs] = await timed(() =>
      withTenant(pool, tenant.id, (tx) => saveSnapshot(tx, conversationId, { baseVersion: version, data, workerId: WORKER })),
    );
    version = saved;
    snapshotBytes = data.length;
    snapshot.push(snapMs);
    save.push(saveMs);
    unchanged.push((await timed(() => workspaceWrites(home.workspaceDir)))[1]);
  }
  await mount.detach();
  const imageDataMb = (statSync(`${home.workspaceDir}.ext4`).blocks * 512) / 1024 / 1024;

  // cold hosts: no local copy, restored from Postgres, then mounted; warm: the same host again
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const host = await prepareSandboxFolders(join(dir, `cold-${i}`), tenant.id, conversationId);
    const [coldMount, coldMs] = await timed(async () => {
      await workspaces.beforeStart(tenant.id, conversationId, host.workspaceDir);
      return mountWorkspaceImage(host.workspaceDir, QUOTA_BYTES);
    });
    cold.push(coldMs);
    await coldMount.detach();
    const [warmMount, warmMs] = await timed(async () => {
      await workspaces.beforeStart(tenant.id, conversationId, host.workspaceDir);
      return mountWorkspaceImage(host.workspaceDir, QUOTA_BYTES);
    });
    warm.push(warmMs);
    await warmMount.detach();
  }

  const row = (measure: string, samples: number[]) => ({
    measure,
    samples: samples.length,
    'p50 ms': percentile(samples, 50),
    'p99 ms': percentile(samples, 99),
  });
  const added = snapshot.map((ms, i) => ms + save[i]!);
  printTable(`Workspace follows its conversation (${WORKSPACE_MB} MB of random data in a sparse 1 GiB image; embedded Postgres)`, [
    row('baseline: turn end, no file changed (syncfs + write counter)', unchanged),
    row('snapshot a changed workspace (fsfreeze, tar --sparse --zstd)', snapshot),
    row('save the snapshot with the commit (bytea)', save),
    row('= turn latency added by a changed workspace', added),
    row('baseline: sandbox start on a warm host (local image current, mount)', warm),
    row('restore on a cold host (load, unpack, rename, mount)', cold),
  ]);
  printTable('Sizes', [
    { measure: 'image data on disk, MiB (of a 1024 MiB quota)', value: imageDataMb },
    { measure: 'snapshot in Postgres, MiB', value: snapshotBytes / 1024 / 1024 },
  ]);
} finally {
  await unmountAllUnder(dir); // a failed round may leave an image mounted: never delete through it
  await pool.end();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
}
