import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@warren/core';
import {
  CLOSE_SENTINEL,
  type IpcResponse,
  ipcFolders,
  type OutboundMessage,
  outboundMessageSchema,
  type RunnerEvent,
  readIpcFile,
  runnerEventSchema,
  type TaskRequest,
  type TurnInput,
  taskRequestSchema,
  writeJsonAtomic,
} from '@warren/ipc';
import type { z } from 'zod';
import { IpcRefusals, unlinkName } from './ipc-refusals.ts';

export interface IpcHandlers {
  onEvent(event: RunnerEvent): void;
  onMessage(message: OutboundMessage): void;
  onTaskRequest(request: TaskRequest): void;
}

/** Request ids become file names in `responses/`: nothing but these characters. */
const SAFE_NAME = /^[A-Za-z0-9_-]{1,100}$/;
const POLL_MS = 250;

/**
 * The host's end of one sandbox's file IPC. Files the runner writes are untrusted: each is read
 * with a size cap, parsed against its schema and checked against this sandbox's own tenant and
 * conversation; a file that fails is refused (see IpcRefusals: recorded in `errors/`, never
 * followed or recursed into) and the channel carries on. New files are noticed through
 * fs.watch, with polling as the backstop (watch events can be lost, and some filesystems have
 * none).
 */
export class IpcChannel {
  private readonly dir: string;
  private readonly owner: { tenantId: string; conversationId: string };
  private readonly handlers: IpcHandlers;
  private readonly logger: Logger;
  private readonly refusals: IpcRefusals;
  private readonly watchers: FSWatcher[] = [];
  private poller: NodeJS.Timeout | undefined;
  private readonly draining = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private inputSeq = 0;
  private closed = false;

  constructor(options: {
    ipcDir: string;
    tenantId: string;
    conversationId: string;
    handlers: IpcHandlers;
    logger: Logger;
  }) {
    this.dir = options.ipcDir;
    this.owner = { tenantId: options.tenantId, conversationId: options.conversationId };
    this.handlers = options.handlers;
    this.logger = options.logger;
    this.refusals = new IpcRefusals({ ipcDir: this.dir, errorsDir: join(this.dir, ipcFolders.errors), logger: this.logger });
  }

  /**
   * Clears the files a previous host or sandbox left behind, then starts watching. Unlink only:
   * these folders are the sandbox's, and whatever is not a file is left for its teardown.
   */
  async open(): Promise<void> {
    for (const folder of Object.values(ipcFolders)) await mkdir(join(this.dir, folder), { recursive: true });
    for (const folder of [ipcFolders.input, ipcFolders.responses, ipcFolders.events, ipcFolders.messages, ipcFolders.tasks]) {
      for (const name of await readdir(join(this.dir, folder))) await unlinkName(join(this.dir, folder, name));
    }
    for (const folder of [ipcFolders.events, ipcFolders.messages, ipcFolders.tasks]) {
      try {
        const watcher = watch(join(this.dir, folder), () => this.drain(folder));
        watcher.on('error', (err) => this.logger.warn({ err, folder }, 'ipc watch failed; polling carries on'));
        this.watchers.push(watcher);
      } catch (err) {
        this.logger.debug({ err, folder }, 'no fs.watch here; polling alone');
      }
    }
    this.poller = setInterval(() => {
      for (const folder of [ipcFolders.events, ipcFolders.messages, ipcFolders.tasks]) this.drain(folder);
    }, POLL_MS);
    this.poller.unref();
  }

  /** Hands a turn to the runner. Names sort in the order turns were sent. */
  async sendTurn(input: TurnInput): Promise<void> {
    const name = `${String(++this.inputSeq).padStart(8, '0')}-${input.turnId}.json`;
    await writeJsonAtomic(join(this.dir, ipcFolders.input, name), input);
  }

  async respond(response: IpcResponse): Promise<void> {
    if (!SAFE_NAME.test(response.requestId)) throw new Error('unsafe request id');
    await writeJsonAtomic(join(this.dir, ipcFolders.responses, `${response.requestId}.json`), response);
  }

  /** Asks the runner to exit after its current turn, and stops watching. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of this.watchers) watcher.close();
    clearInterval(this.poller);
    this.refusals.flush();
    try {
      await writeJsonAtomic(join(this.dir, ipcFolders.input, CLOSE_SENTINEL), {});
    } catch (err) {
      // The sandbox may be gone with its folders' writability; its exit ends it either way.
      this.logger.warn({ err }, 'could not ask the runner to close');
    }
  }

  /** Processes a folder's files in name order; concurrent triggers coalesce into one more pass. */
  private drain(folder: string): void {
    if (this.closed) return;
    if (this.draining.has(folder)) {
      this.again.add(folder);
      return;
    }
    const pass = this.drainOnce(folder)
      .catch((err: unknown) => this.logger.error({ folder, err }, 'ipc drain failed'))
      .finally(() => {
        this.draining.delete(folder);
        if (this.again.delete(folder)) this.drain(folder);
      });
    this.draining.set(folder, pass);
  }

  private async drainOnce(folder: string): Promise<void> {
    const names = (await readdir(join(this.dir, folder)))
      .filter((n) => !n.startsWith('.') && !this.refusals.isLeftInPlace(folder, n))
      .sort();
    for (const name of names) {
      if (this.closed) return;
      if (folder === ipcFolders.events) {
        await this.take(folder, name, runnerEventSchema, (event) => this.handlers.onEvent(event));
      } else if (folder === ipcFolders.messages) {
        await this.take(folder, name, outboundMessageSchema, (message) => {
          this.authorise(message);
          this.handlers.onMessage(message);
        });
      } else {
        await this.take(folder, name, taskRequestSchema, (request) => {
          if (!SAFE_NAME.test(request.requestId)) throw new RefusedFile('request id is not a safe file name');
          this.authorise(request);
          this.handlers.onTaskRequest(request);
        });
      }
    }
  }

  private async take<S extends z.ZodType>(folder: string, name: string, schema: S, use: (value: z.infer<S>) => unknown): Promise<void> {
    const path = join(this.dir, folder, name);
    const read = await readIpcFile(path, schema);
    if (!read.ok) {
      if (read.entry !== 'gone') await this.refusals.refuse(folder, name, read.reason, read);
      return;
    }
    try {
      use(read.value);
    } catch (err) {
      if (!(err instanceof RefusedFile)) throw err;
      await this.refusals.refuse(
        folder,
        name,
        err.message,
        { entry: 'file', content: Buffer.from(JSON.stringify(read.value)) },
        err.details,
      );
      return;
    }
    await unlinkName(path);
  }

  /** A sandbox may act only for its own tenant and conversation. */
  private authorise(request: { tenantId: string; conversationId: string }): void {
    if (request.tenantId === this.owner.tenantId && request.conversationId === this.owner.conversationId) return;
    throw new RefusedFile('names another tenant or conversation', {
      namedTenantId: request.tenantId,
      namedConversationId: request.conversationId,
    });
  }
}

class RefusedFile extends Error {
  override name = 'RefusedFile';
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.details = details;
  }
}
