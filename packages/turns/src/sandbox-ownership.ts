import type { Logger } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import type { SandboxPool, WarmSandbox } from '@warren/sandbox';
import { releaseOwnership, renewOwnership, takeOwnership } from './owner-state.ts';

/** How long a worker's hold on a conversation lasts without renewal: what a dead worker costs its conversations. */
export const OWNER_LEASE_SECONDS = 10;
const RENEW_MS = 2000;
/** How long another worker's ask waits: the owner may fetch the conversation's turn itself meanwhile and stay warm. */
const ASK_GRACE_SECONDS = 2;

interface Held {
  tenantId: string;
  conversationId: string;
  renewedAt: number;
}

/**
 * This worker's side of `sandbox_owners`: a conversation's sandbox runs only on the worker that
 * holds its row. A turn takes it first (`takeForTurn`); every 2 s the worker renews what it
 * holds, lets go of conversations with neither a turn nor a warm sandbox here, closes an idle
 * sandbox another worker asked for (its workspace was saved with its last turn) and lets go,
 * and kills a sandbox whose hold it lost (lease lapsed, e.g. the database was unreachable).
 */
export class SandboxOwnership {
  private readonly held = new Map<string, Held>();
  private readonly turns = new Map<string, number>();
  /** Per conversation, the last step taken on its row: steps of one conversation never interleave. */
  private readonly steps = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  private readonly deps: { pool: Pool; sandboxes: SandboxPool; workerId: string; logger: Logger };

  constructor(deps: { pool: Pool; sandboxes: SandboxPool; workerId: string; logger: Logger }) {
    this.deps = deps;
  }

  start(): void {
    this.timer = setInterval(() => {
      this.ticking ??= this.tick()
        .catch((err: unknown) => this.deps.logger.error({ err }, 'could not renew sandbox ownership'))
        .finally(() => (this.ticking = undefined));
    }, RENEW_MS);
    this.timer.unref();
  }

  /**
   * Takes the conversation for a turn here. Returns the turn's end (call it when the turn is
   * over), or null when another live worker holds it: that worker was asked to let go.
   */
  async takeForTurn(tenantId: string, conversationId: string): Promise<(() => void) | null> {
    const key = `${tenantId}/${conversationId}`;
    this.turns.set(key, (this.turns.get(key) ?? 0) + 1);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const left = (this.turns.get(key) ?? 1) - 1;
      if (left > 0) this.turns.set(key, left);
      else this.turns.delete(key);
    };
    try {
      const taken = await this.step(key, () =>
        withTenant(this.deps.pool, tenantId, (tx) => takeOwnership(tx, conversationId, this.deps.workerId, OWNER_LEASE_SECONDS)),
      );
      if (!taken) {
        end();
        return null;
      }
      this.held.set(key, { tenantId, conversationId, renewedAt: performance.now() });
      return end;
    } catch (err) {
      end();
      throw err;
    }
  }

  /** Stops renewing and lets go of everything; call after the pool closed its sandboxes. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    for (const [tenantId, rows] of this.byTenant()) {
      await withTenant(this.deps.pool, tenantId, (tx) =>
        releaseOwnership(
          tx,
          rows.map((h) => h.conversationId),
          this.deps.workerId,
        ),
      );
    }
    this.held.clear();
  }

  private async tick(): Promise<void> {
    for (const [tenantId, rows] of this.byTenant()) {
      let renewed;
      try {
        renewed = await withTenant(this.deps.pool, tenantId, (tx) =>
          renewOwnership(
            tx,
            rows.map((h) => h.conversationId),
            this.deps.workerId,
            OWNER_LEASE_SECONDS,
            ASK_GRACE_SECONDS,
          ),
        );
      } catch (err) {
        this.deps.logger.warn({ err, tenantId }, 'could not renew sandbox ownership; retrying');
        // Past half the lease unrenewed, another worker may soon take the conversation over.
        for (const h of rows)
          if (performance.now() - h.renewedAt > (OWNER_LEASE_SECONDS * 1000) / 2) this.lost(h, 'its hold could not be renewed');
        continue;
      }
      const answers = new Map(renewed.map((r) => [r.conversationId, r.asked]));
      for (const h of rows) {
        const asked = answers.get(h.conversationId);
        if (asked === undefined) {
          this.lost(h, 'another worker holds its conversation');
          continue;
        }
        h.renewedAt = performance.now();
        const key = `${h.tenantId}/${h.conversationId}`;
        if (asked || (!this.turns.has(key) && !this.sandboxOf(h))) {
          this.step(key, () => this.letGo(h, key, asked)).catch((err: unknown) =>
            this.deps.logger.error({ err, tenantId, conversationId: h.conversationId }, 'could not let go of a conversation'),
          );
        }
      }
    }
  }

  /** Closes the conversation's idle sandbox and deletes the row, unless a turn of it runs here. */
  private async letGo(h: Held, key: string, asked: boolean): Promise<void> {
    if (this.turns.has(key) || this.held.get(key) !== h) return;
    const sandbox = this.sandboxOf(h);
    if (sandbox?.busy) return;
    if (sandbox) await this.deps.sandboxes.close(sandbox, asked ? 'another worker asked for its conversation' : 'no longer owned');
    if (this.turns.has(key)) return; // a turn arrived while it closed: keep the hold
    await withTenant(this.deps.pool, h.tenantId, (tx) => releaseOwnership(tx, [h.conversationId], this.deps.workerId));
    this.held.delete(key);
  }

  /** The hold is gone: a sandbox kept here could run beside another worker's, so it ends now. */
  private lost(h: Held, why: string): void {
    const key = `${h.tenantId}/${h.conversationId}`;
    if (this.held.get(key) !== h) return; // taken again meanwhile
    this.held.delete(key);
    const sandbox = this.sandboxOf(h);
    if (!sandbox) return;
    this.deps.logger.warn(
      { sandboxId: sandbox.sandboxId, tenantId: h.tenantId, conversationId: h.conversationId },
      `killing sandbox: ${why}`,
    );
    sandbox.process.kill('SIGKILL');
  }

  private sandboxOf(h: Held): WarmSandbox | undefined {
    return this.deps.sandboxes.list().find((s) => s.tenantId === h.tenantId && s.conversationId === h.conversationId && s.alive);
  }

  private byTenant(): Map<string, Held[]> {
    const groups = new Map<string, Held[]>();
    for (const h of this.held.values()) groups.set(h.tenantId, [...(groups.get(h.tenantId) ?? []), h]);
    return groups;
  }

  private step<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.steps.get(key) ?? Promise.resolve()).then(fn);
    // the chain waits for each step's end, not its success: the step's caller handles its error
    const tail = Promise.allSettled([next]);
    this.steps.set(key, tail);
    void tail.then(() => this.steps.get(key) === tail && this.steps.delete(key));
    return next;
  }
}
