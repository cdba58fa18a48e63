import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeAnthropic, startFakeAnthropic } from '@warren/fake-anthropic';
import { ipcFolders, type RunnerEvent, runnerEventSchema, type TurnInput, writeJsonAtomic } from '@warren/ipc';

// The test plays the host: it writes turn inputs into `input/` and reads what the runner writes.
// The runner is a plain child process (no sandbox); the model is the fake on a unix socket.

/** The turn token every test turn carries; the fake model accepts only it. */
export const TURN_TOKEN = 'wtt1.test-turn-token-must-not-leak';
const mainScript = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');

export type TurnResult = Extract<RunnerEvent, { type: 'turn_result' }>;

export interface Harness {
  root: string;
  ipcDir: string;
  workspace: string;
  fake: FakeAnthropic;
  runner: RunningRunner;
  /** Writes a turn input (atomically, as the host does) and returns its turn id. */
  sendTurn(text: string, overrides?: Partial<TurnInput>): Promise<string>;
  /** Waits for the turn's result event. */
  result(turnId: string): Promise<TurnResult>;
  events(): Promise<RunnerEvent[]>;
  /** JSON files in an IPC folder, in name order (dot-files left out). */
  files(folder: string): string[];
  readJson(folder: string, name: string): Promise<unknown>;
  close(): Promise<void>;
}

export interface RunningRunner {
  child: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

export function startRunner(env: Record<string, string | undefined>): RunningRunner {
  // only what the runner needs: nothing of the test's own environment leaks into it
  // stdin is the runner's lifeline, as the host holds it: open, never written; the runner exits at its end
  const child = spawn(process.execPath, [mainScript], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

let inputCounter = 0;

export async function startHarness(extraEnv: Record<string, string> = {}): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'warren-runner-test-'));
  const ipcDir = join(root, 'ipc');
  const workspace = join(root, 'workspace');
  for (const folder of Object.values(ipcFolders)) mkdirSync(join(ipcDir, folder), { recursive: true });
  mkdirSync(workspace);
  const fake = await startFakeAnthropic({ socketPath: join(root, 'model.sock'), apiKey: TURN_TOKEN });
  const runner = startRunner({
    WARREN_IPC_DIR: ipcDir,
    WARREN_WORKSPACE: workspace,
    WARREN_PROXY_SOCKET: join(root, 'model.sock'),
    WARREN_MODEL_MAX_RETRIES: '0',
    ...extraEnv,
  });

  const events = async () => {
    const dir = join(ipcDir, ipcFolders.events);
    const names = readdirSync(dir)
      .filter((name) => !name.startsWith('.'))
      .sort();
    return Promise.all(names.map(async (name) => runnerEventSchema.parse(JSON.parse(await readFile(join(dir, name), 'utf8')))));
  };

  return {
    root,
    ipcDir,
    workspace,
    fake,
    runner,
    async sendTurn(text, overrides = {}) {
      inputCounter += 1;
      const turnId = overrides.turnId ?? `turn-${inputCounter}`;
      const input: TurnInput = { ...turnInput(text), turnId, ...overrides };
      const name = `${String(Date.now()).padStart(15, '0')}-${String(inputCounter).padStart(4, '0')}.json`;
      await writeJsonAtomic(join(ipcDir, ipcFolders.input, name), input);
      return turnId;
    },
    async result(turnId) {
      return waitFor(
        async () => (await events()).find((e): e is TurnResult => e.type === 'turn_result' && e.turnId === turnId),
        () => runner.stderr(),
      );
    },
    events,
    files: (folder) =>
      readdirSync(join(ipcDir, folder))
        .filter((name) => !name.startsWith('.'))
        .sort(),
    readJson: async (folder, name) => JSON.parse(await readFile(join(ipcDir, folder, name), 'utf8')),
    async close() {
      runner.child.kill('SIGTERM');
      await runner.exited;
      await fake.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function turnInput(text: string): TurnInput {
  return {
    type: 'turn',
    turnId: 'turn-x',
    tenantId: 'tenant-1',
    conversationId: 'conversation-1',
    model: 'claude-fake-1',
    systemPrompt: 'You are a test agent.',
    history: [],
    newMessages: [{ seq: 1, sender: null, content: text }],
    limits: { maxIterations: 5, maxTokens: 4096, bashTimeoutMs: 10_000, toolOutputBytes: 16_384 },
    proxyToken: TURN_TOKEN,
  };
}

/** Polls until `probe` returns something; fails with the runner's stderr after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  context: () => string = () => '',
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; runner stderr:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

/** The tool results the turn sent back to the model, in order. */
export function toolResults(result: TurnResult): ToolResultBlock[] {
  return result.history.flatMap((entry) =>
    entry.role === 'user' && Array.isArray(entry.content)
      ? (entry.content as { type: string }[]).filter((block): block is ToolResultBlock => block.type === 'tool_result')
      : [],
  );
}

/** Whether a process still runs; a zombie waiting for its (new) parent to reap it does not count. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
