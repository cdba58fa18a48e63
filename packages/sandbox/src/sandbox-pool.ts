import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { idSchema, type Logger } from '@warren/core';
import type { IpcResponse, OutboundMessage, RunnerEvent, TaskRequest, TurnInput } from '@warren/ipc';
import type { SandboxDriver, SandboxProcess, SandboxSpec } from './driver.ts';
import { IpcChannel } from './ipc-channel.ts';
import { mountIpcTmpfs } from './ipc-mount.ts';
import { unmountLeftover } from './mounts.ts';
import { type TextDelta, TextDeltaGate } from './text-deltas.ts';
import { TurnOutputs } from './turn-outputs.ts';
import { prepareSandboxFolders, removeSandboxFolders, sandboxPaths } from './workspace.ts';
import { snapshotWorkspace, workspaceFull, workspaceWrites } from './workspace-snapshot.ts';

/** A skill folder on the host, bound read-only at `/skills/<name>`. */
export interface SandboxSkill {
  name: string;
  dir: string;
}

const skillSetKey = (skills: SandboxSkill[]) => JSON.stringify(skills.map((s) => [s.name, s.dir]).sort());

export type TurnOutcome = Extract<RunnerEvent, { type: 'turn_result' }>;

export interface TurnCallbacks {
  /** The runner picked the turn up (`at`: its clock, ms since the epoch). */
  onStarted?(at: number): void;
  /**
   * A `send_message` from the runner, already authorised for this sandbox and turn; called one
   * at a time in the agent's order. A rejection fails the turn (and ends the sandbox).
   */
  onMessage?(message: OutboundMessage): Promise<void>;
  /** A task request; the answer goes back to the runner. */
  onTaskRequest?(request: TaskRequest): Promise<Omit<IpcResponse, 'requestId'>>;
  /** Model text as it streams in, raw, in order of `index`, within the rate TextDeltaGate allows (a preview: gaps are possible). */
  onDelta?(delta: TextDelta): void;
  signal?: AbortSignal;
}

export interface SandboxPoolOptions {
  driver: SandboxDriver;
  /** Host folder holding every tenant's sandbox folders. */
  root: string;
  /** Host path of the credential proxy's unix socket. */
  proxySocket: string;
  /** How to start the agent runner inside a sandbox. */
  runner: { command: string[]; readOnlyPaths: string[]; env?: Record<string, string> };
  limits: SandboxSpec['limits'];
  idleTimeoutMs?: number;
  maxSandboxes?: number;
  maxPerTenant?: number;
  readyTimeoutMs?: number;
  /** Brings a conversation's workspace up to its durable copy before its sandbox starts (see workspace-snapshot.ts). */
  workspaces?: WorkspaceSync;
  logger: Logger;
}

/** Where the durable copies of workspaces live (Postgres, in packages/turns). */
export interface WorkspaceSync {
  beforeStart(tenantId: string, conversationId: string, workspaceDir: string): Promise<void>;
}

/** A copy of a workspace image taken after a turn, and what the image had written when it was taken (see workspaceWrites). */
export interface WorkspaceCopy {
  data: Buffer;
  writes: string;
}

export class SandboxCapacityError extends Error {
  override name = 'SandboxCapacityError';
}

export class SandboxCrashedError extends Error {
  override name = 'SandboxCrashedError';
}

/** How long after its result a turn's last outputs may take to be read (files are polled every 250 ms). */
const OUTPUTS_GRACE_MS = 5000;

/** One live sandbox for one conversation, kept warm between turns. */
export class WarmSandbox {
  readonly sandboxId: string;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly process: SandboxProcess;
  readonly channel: IpcChannel;
  /** Host folder of its /workspace (the image's mount point while it runs). */
  readonly workspaceDir: string;
  /** What the workspace image had written when it was last saved (or the sandbox started). */
  private savedWrites: string | undefined;
  /** Monotonic (performance.now), so the least recently used is unambiguous. */
  lastUsed = performance.now();
  alive = true;
  private current:
    | {
        turnId: string;
        callbacks: TurnCallbacks;
        outputs: TurnOutputs;
        deltas: TextDeltaGate;
        ending: boolean;
        done(outcome: TurnOutcome): void;
        fail(err: Error): void;
      }
    | undefined;
  private readonly logger: Logger;

  constructor(init: {
    sandboxId: string;
    tenantId: string;
    conversationId: string;
    process: SandboxProcess;
    channel: IpcChannel;
    workspaceDir: string;
    logger: Logger;
  }) {
    this.sandboxId = init.sandboxId;
    this.tenantId = init.tenantId;
    this.conversationId = init.conversationId;
    this.process = init.process;
    this.channel = init.channel;
    this.workspaceDir = init.workspaceDir;
    this.logger = init.logger;
  }

  /** The workspace quota is used up (a write met, or is about to meet, ENOSPC). */
  workspaceFull(): Promise<boolean> {
    return workspaceFull(this.workspaceDir);
  }

  async markWorkspaceSaved(writes?: string): Promise<void> {
    this.savedWrites = writes ?? (await workspaceWrites(this.workspaceDir));
  }

  /**
   * A copy of the workspace image when a file in it changed since it was last saved; null when
   * nothing changed or the workspace is no image (no quota). Call between turns.
   */
  async changedWorkspace(maxBytes: number): Promise<WorkspaceCopy | null> {
    if (!this.process.appliedLimits.workspace) return null; // no image: nothing to copy
    const before = await workspaceWrites(this.workspaceDir);
    // mounted at start, so gone now means something unmounted it: never take that for "unchanged"
    if (before === undefined) throw new Error(`the workspace image of ${this.sandboxId} is no longer mounted on the host`);
    if (before === this.savedWrites) return null;
    const data = await snapshotWorkspace(this.workspaceDir, maxBytes);
    // freezing and thawing write the superblock: the baseline is taken after them
    return { data, writes: (await workspaceWrites(this.workspaceDir)) ?? before };
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Gives the runner one turn and resolves with its result; rejects if the sandbox dies or `signal` aborts. */
  runTurn(input: TurnInput, callbacks: TurnCallbacks = {}): Promise<TurnOutcome> {
    if (!this.alive) return Promise.reject(new SandboxCrashedError('sandbox is not running'));
    if (this.current) return Promise.reject(new Error('sandbox is already running a turn'));
    return new Promise<TurnOutcome>((resolve, reject) => {
      const onAbort = () => this.cutOff(new DOMException('turn aborted', 'AbortError'));
      const finish = () => {
        callbacks.signal?.removeEventListener('abort', onAbort);
        this.current?.deltas.flush();
        this.current = undefined;
        this.lastUsed = performance.now();
      };
      this.current = {
        turnId: input.turnId,
        callbacks,
        outputs: new TurnOutputs(
          (message) => callbacks.onMessage?.(message) ?? Promise.resolve(),
          (err) => this.cutOff(err),
        ),
        deltas: new TextDeltaGate((delta) => callbacks.onDelta?.(delta), this.logger.child({ turnId: input.turnId })),
        ending: false,
        done: (outcome) => {
          finish();
          resolve(outcome);
        },
        fail: (err) => {
          finish();
          reject(err);
        },
      };
      if (callbacks.signal?.aborted) return onAbort();
      callbacks.signal?.addEventListener('abort', onAbort, { once: true });
      this.channel.sendTurn(input).catch((err: Error) => this.fail(err));
    });
  }

  /** Routes what the runner writes to the turn it belongs to; a result waits for the outputs it reports. */
  onEvent(event: RunnerEvent): void {
    const current = this.current;
    if (event.type === 'ready' || current?.turnId !== event.turnId) return;
    if (event.type === 'turn_started') {
      current.callbacks.onStarted?.(event.at);
      return;
    }
    if (event.type === 'text_delta') {
      if (!current.ending) current.deltas.offer({ index: event.index, text: event.text });
      return;
    }
    if (current.ending) return;
    current.ending = true;
    current.outputs.settled(event.outputs, OUTPUTS_GRACE_MS).then(
      () => current.done(event),
      (err: Error) => this.cutOff(err),
    );
  }

  onMessage(message: OutboundMessage): void {
    if (this.current?.turnId !== message.turnId) {
      this.logger.warn({ sandboxId: this.sandboxId, turnId: message.turnId }, 'message for a turn that is not running; dropped');
      return;
    }
    this.current.outputs.add(message);
  }

  onTaskRequest(request: TaskRequest): void {
    const handler = this.current?.turnId === request.turnId ? this.current.callbacks.onTaskRequest : undefined;
    // The runner is told (it waits for an answer either way); the host's log keeps the stack.
    const answer = handler
      ? handler(request).catch((err: Error) => {
          this.logger.error({ err, sandboxId: this.sandboxId, requestId: request.requestId }, 'task request failed');
          return { ok: false, error: err.message };
        })
      : Promise.resolve({ ok: false, error: 'task requests are not available now' });
    answer
      .then((a) => this.channel.respond({ requestId: request.requestId, ...a }))
      .catch((err: unknown) => this.logger.error({ err, sandboxId: this.sandboxId }, 'could not answer a task request'));
  }

  fail(err: Error): void {
    this.current?.fail(err);
  }

  /** A turn ended midway leaves the runner in an unknown state: the sandbox goes with it. */
  private cutOff(err: Error): void {
    this.fail(err);
    this.process.kill('SIGKILL');
  }
}

/**
 * Warm sandboxes, one per (tenant, conversation). A conversation's next turn reuses its sandbox
 * (no cold start); a sandbox idle for `idleTimeoutMs` is closed; a global and a per-tenant cap
 * bound how many live at once, closing the least recently used idle one to make room; a sandbox
 * that died is noticed at once and replaced at the next turn.
 */
export class SandboxPool {
  private readonly sandboxes = new Map<string, WarmSandbox>();
  private readonly starting = new Map<string, Promise<WarmSandbox>>();
  private readonly idleTimers = new Map<WarmSandbox, NodeJS.Timeout>();
  /** Per conversation, the skill folders its sandbox was started with (see acquire). */
  private readonly skillSets = new Map<string, string>();
  /** Per conversation, the teardown of its last sandbox (its IPC filesystem): the next one waits for it. */
  private readonly teardowns = new Map<string, Promise<void>>();
  private readonly options: Required<Omit<SandboxPoolOptions, 'maxSandboxes' | 'maxPerTenant' | 'workspaces'>> & {
    maxSandboxes: number;
    maxPerTenant: number;
    workspaces?: WorkspaceSync;
  };
  private closing = false;

  constructor(options: SandboxPoolOptions) {
    this.options = {
      idleTimeoutMs: 30 * 60_000,
      readyTimeoutMs: 15_000,
      maxSandboxes: 50,
      maxPerTenant: 10,
      ...options,
    };
  }

  /** Removes what a crashed host left behind. Call once before the first acquire. */
  async start(): Promise<void> {
    // Not the mounts: workers may share this root, and a mount may be a live sandbox's of another
    // worker. A dead worker's are removed per conversation, by the next owner (startSandbox).
    await this.options.driver.cleanupLeftovers(resolvePath(this.options.root), { mounts: false });
  }

  /** The host folder holding the sandboxes' folders (and unpacked skills, under `.skills`). */
  get root(): string {
    return resolvePath(this.options.root);
  }

  get size(): number {
    return this.sandboxes.size;
  }

  /** The conversations this host has folders for under the pool's root, by tenant id. */
  async localConversations(): Promise<Map<string, string[]>> {
    const byTenant = new Map<string, string[]>();
    const root = resolvePath(this.options.root);
    for (const tenantId of await readdir(root)) {
      if (!idSchema('tenant').safeParse(tenantId).success) continue; // .runner and the like
      const conversations = (await readdir(join(root, tenantId))).filter((name) => idSchema('conversation').safeParse(name).success);
      byTenant.set(tenantId, conversations);
    }
    return byTenant;
  }

  /**
   * A deleted conversation: closes its sandbox here (unless a turn is running in it) and removes
   * its host folders (see removeSandboxFolders). `in-use` means try again later.
   */
  async removeConversation(tenantId: string, conversationId: string): Promise<'removed' | 'in-use' | 'left-over'> {
    const key = `${tenantId}/${conversationId}`;
    await Promise.allSettled([this.starting.get(key)]); // its acquirer handles a failed start
    const warm = this.sandboxes.get(key);
    if (warm?.busy) return 'in-use';
    if (warm) await this.close(warm, 'conversation deleted');
    await this.teardowns.get(key);
    return removeSandboxFolders(this.options.root, tenantId, conversationId);
  }

  list(): WarmSandbox[] {
    return [...this.sandboxes.values()];
  }

  /**
   * The conversation's warm sandbox, or a new one (making room under the caps). `limits`
   * override the pool's for a new sandbox (a tenant's own quota); a warm one keeps those it
   * started with.
   */
  async acquire(
    tenantId: string,
    conversationId: string,
    limits: Partial<SandboxSpec['limits']> = {},
    skills: SandboxSkill[] = [],
  ): Promise<WarmSandbox> {
    if (this.closing) throw new SandboxCapacityError('the pool is shutting down');
    const key = `${tenantId}/${conversationId}`;
    const warm = this.sandboxes.get(key);
    // its skill folders are bound at start: another set (a skill updated, an assistant changed) needs a new sandbox
    if (warm?.alive && !warm.busy && this.skillSets.get(key) !== skillSetKey(skills)) await this.close(warm, 'skills changed');
    else if (warm?.alive) {
      this.clearIdleTimer(warm);
      warm.lastUsed = performance.now();
      return warm;
    }
    const pending = this.starting.get(key);
    if (pending) return pending;
    const started = (async () => {
      await this.makeRoom(tenantId, key);
      const sandbox = await this.startSandbox(tenantId, conversationId, withoutUndefined(limits), skills);
      this.skillSets.set(key, skillSetKey(skills));
      return sandbox;
    })().finally(() => this.starting.delete(key));
    this.starting.set(key, started);
    return started;
  }

  /** Marks a sandbox idle after a turn: its idle timer starts. */
  release(sandbox: WarmSandbox): void {
    if (!sandbox.alive || this.closing) return;
    sandbox.lastUsed = performance.now();
    this.clearIdleTimer(sandbox);
    const timer = setTimeout(() => {
      if (sandbox.busy) return;
      this.close(sandbox, 'idle timeout').catch((err: unknown) =>
        this.options.logger.error({ err, sandboxId: sandbox.sandboxId, tenantId: sandbox.tenantId }, 'could not close an idle sandbox'),
      );
    }, this.options.idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(sandbox, timer);
  }

  async close(sandbox: WarmSandbox, reason: string): Promise<void> {
    this.clearIdleTimer(sandbox);
    this.sandboxes.delete(`${sandbox.tenantId}/${sandbox.conversationId}`);
    this.skillSets.delete(`${sandbox.tenantId}/${sandbox.conversationId}`);
    if (!sandbox.alive) return;
    this.options.logger.info({ sandboxId: sandbox.sandboxId, tenantId: sandbox.tenantId, reason }, 'closing sandbox');
    await sandbox.channel.close();
    const exited = await Promise.race([sandbox.process.exited.then(() => true), delay(5000).then(() => false)]);
    if (!exited) {
      sandbox.process.kill('SIGKILL');
      await sandbox.process.exited;
    }
  }

  /** Closes every sandbox; turns still running are failed. */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.starting.values());
    await Promise.all(
      this.list().map((sandbox) => {
        sandbox.fail(new SandboxCrashedError('the pool is shutting down'));
        return this.close(sandbox, 'shutdown');
      }),
    );
    await Promise.all(this.teardowns.values());
  }

  /** Closes idle sandboxes until one more fits under both caps; `key` is the one about to start. */
  private async makeRoom(tenantId: string, key: string): Promise<void> {
    const { maxSandboxes, maxPerTenant } = this.options;
    const others = () => [...this.starting.keys()].filter((k) => k !== key);
    const count = () => this.sandboxes.size + others().length;
    const tenantCount = () =>
      this.list().filter((s) => s.tenantId === tenantId).length + others().filter((k) => k.startsWith(`${tenantId}/`)).length;
    while (tenantCount() >= maxPerTenant) await this.evictIdle((s) => s.tenantId === tenantId, `tenant cap of ${maxPerTenant}`);
    while (count() >= maxSandboxes) await this.evictIdle(() => true, `global cap of ${maxSandboxes}`);
  }

  private async evictIdle(match: (s: WarmSandbox) => boolean, cap: string): Promise<void> {
    const victim = this.list()
      .filter((s) => match(s) && !s.busy)
      .sort((a, b) => a.lastUsed - b.lastUsed)[0];
    if (!victim) throw new SandboxCapacityError(`no sandbox free: ${cap} reached and all are busy`);
    await this.close(victim, `least recently used, ${cap}`);
  }

  private async startSandbox(
    tenantId: string,
    conversationId: string,
    overrides: Partial<SandboxSpec['limits']>,
    skills: SandboxSkill[],
  ): Promise<WarmSandbox> {
    const { driver, root, proxySocket, runner, limits, logger, readyTimeoutMs } = this.options;
    const sandboxId = `sbx_${randomBytes(8).toString('hex')}`;
    const log = logger.child({ sandboxId, tenantId, conversationId });
    const key = `${tenantId}/${conversationId}`;
    await this.teardowns.get(key);
    // A dead worker's mounts go first: it may have died mid-snapshot with the workspace frozen,
    // and the first chown of the folders below would then block for good (seen: a worker stuck
    // with no log line, and unkillable). This worker owns the conversation (sandbox_owners).
    const paths = sandboxPaths(root, tenantId, conversationId);
    await unmountLeftover(paths.workspaceDir);
    await unmountLeftover(paths.ipcDir);
    const folders = await prepareSandboxFolders(root, tenantId, conversationId);
    await this.options.workspaces?.beforeStart(tenantId, conversationId, folders.workspaceDir);
    const unmountIpc = await mountIpcTmpfs(folders.ipcDir);

    let sandbox: WarmSandbox | undefined;
    let onReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (onReady = resolve));
    const channel = new IpcChannel({
      ipcDir: folders.ipcDir,
      tenantId,
      conversationId,
      logger: log,
      handlers: {
        onEvent: (event) => (event.type === 'ready' ? onReady() : sandbox?.onEvent(event)),
        onMessage: (message) => sandbox?.onMessage(message),
        onTaskRequest: (request) => sandbox?.onTaskRequest(request),
      },
    });
    const teardown = () => {
      const done = channel
        .close()
        .then(unmountIpc)
        .catch((err: unknown) => log.error({ err }, 'could not unmount the sandbox’s IPC folder'))
        .finally(() => this.teardowns.get(key) === done && this.teardowns.delete(key));
      this.teardowns.set(key, done);
    };
    let process: SandboxProcess;
    try {
      await channel.open();
      process = await driver.start({
        sandboxId,
        tenantId,
        conversationId,
        workspaceDir: folders.workspaceDir,
        ipcDir: folders.ipcDir,
        proxySocket,
        command: runner.command,
        readOnlyPaths: runner.readOnlyPaths,
        // No credential in the environment: anything started in the sandbox could read it from
        // /proc and outlive the turn. Each turn's input carries that turn's token instead.
        env: runner.env ?? {},
        limits: { ...limits, ...overrides },
        skills,
      });
    } catch (err) {
      teardown();
      throw err;
    }
    sandbox = new WarmSandbox({ sandboxId, tenantId, conversationId, process, channel, workspaceDir: folders.workspaceDir, logger: log });
    // The runner's own output is for debugging; it must be read, or a full pipe would stall it.
    for (const stream of [process.stdout, process.stderr]) {
      stream.on('data', (chunk: Buffer) => log.debug({ output: chunk.toString('utf8', 0, 4096) }, 'sandbox output'));
    }
    const self = sandbox;
    process.exited.then(({ code, signal }) => {
      self.alive = false;
      teardown();
      this.clearIdleTimer(self);
      if (this.sandboxes.get(key) === self) {
        this.sandboxes.delete(key);
        this.skillSets.delete(key);
      }
      self.fail(new SandboxCrashedError(`sandbox exited (${signal ?? code})`));
      log.info({ code, signal }, 'sandbox exited');
    });

    const outcome = await Promise.race([
      ready.then(() => 'ready' as const),
      process.exited.then(() => 'exited' as const),
      delay(readyTimeoutMs).then(() => 'timeout' as const),
    ]);
    if (outcome !== 'ready') {
      process.kill('SIGKILL'); // its exit tears the rest down
      throw new SandboxCrashedError(`sandbox did not become ready (${outcome})`);
    }
    await sandbox.markWorkspaceSaved();
    this.sandboxes.set(key, sandbox);
    log.info({ limits: process.appliedLimits }, 'sandbox ready');
    return sandbox;
  }

  private clearIdleTimer(sandbox: WarmSandbox): void {
    clearTimeout(this.idleTimers.get(sandbox));
    this.idleTimers.delete(sandbox);
  }
}

/** An override left undefined keeps the pool's default. */
function withoutUndefined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
