import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CLOSE_SENTINEL, historyEntry, ipcFolders, readIpcFile, type TurnInput, turnInputSchema } from '@warren/ipc';
import { z } from 'zod';
import { type EventWriter, eventWriter } from './ipc/events.ts';
import { inputQueue } from './ipc/input-queue.ts';
import { TextDeltas } from './ipc/text-deltas.ts';
import type { Model } from './model.ts';
import { runPrecheck } from './precheck.ts';
import { type ProcessGroups, tools } from './tools/index.ts';
import { runTurn, type TurnDeps } from './turn.ts';
import { deliverable, failedTurn } from './turn-result.ts';

export interface RunnerOptions {
  ipcDir: string;
  /** Real path of the workspace. */
  workspace: string;
  model: Model;
  processes: ProcessGroups;
  taskResponseTimeoutMs: number;
  log: (line: string) => void;
}

/**
 * The runner's life: announce `ready`, then take the files in `input/` one at a time in name
 * order, each a turn, until `_close`. The process stays warm between turns.
 */
export async function runAgent(options: RunnerOptions): Promise<void> {
  const { ipcDir, log } = options;
  for (const folder of [ipcFolders.input, ipcFolders.events, ipcFolders.messages, ipcFolders.tasks, ipcFolders.responses]) {
    await mkdir(join(ipcDir, folder), { recursive: true });
  }
  const writeEvent = eventWriter(ipcDir);
  const queue = inputQueue(ipcDir);
  const deps: TurnDeps = {
    model: options.model,
    tools,
    toolContext: {
      workspace: options.workspace,
      ipcDir,
      taskResponseTimeoutMs: options.taskResponseTimeoutMs,
      processes: options.processes,
    },
  };

  await writeEvent({ type: 'ready', at: Date.now() });
  try {
    for (;;) {
      const name = await queue.next();
      if (name === CLOSE_SENTINEL) {
        await queue.remove(name);
        return;
      }
      const input = await takeInput(join(ipcDir, ipcFolders.input, name), writeEvent, log);
      // consumed before it runs: a runner restarted mid-turn must not run its tools twice
      await queue.remove(name);
      if (input) await runOneTurn(input, deps, writeEvent, log);
    }
  } finally {
    queue.close();
  }
}

async function runOneTurn(input: TurnInput, baseDeps: TurnDeps, writeEvent: EventWriter, log: (line: string) => void): Promise<void> {
  await writeEvent({ type: 'turn_started', turnId: input.turnId, at: Date.now() });
  const deltas = new TextDeltas(input.turnId, writeEvent, log);
  const deps: TurnDeps = { ...baseDeps, onText: deltas.push };
  // the deltas go before the result: the host hears the whole preview before the turn ends
  const run = async (turn: TurnInput) => {
    const result = await runTurn(turn, deps);
    await deltas.flush();
    return result;
  };
  if (!input.precheck) {
    await writeEvent(deliverable(await run(input), input.history));
    return;
  }
  const { workspace, processes } = baseDeps.toolContext;
  const precheck = await runPrecheck(input.precheck, { workspace, processes, outputBytes: input.limits.toolOutputBytes });
  if (precheck.result.outcome !== 'woke') {
    // no model call: the turn ends here, its history as it was
    const usage = { inputTokens: 0, outputTokens: 0 };
    const { turnId, history } = input;
    await writeEvent({
      type: 'turn_result',
      turnId,
      status: 'ok',
      finalText: '',
      history,
      usage,
      iterations: 0,
      outputs: 0,
      precheck: precheck.result,
    });
    return;
  }
  const result = await run(withPrecheckData(input, precheck.data));
  await writeEvent(deliverable({ ...result, precheck: precheck.result }, input.history));
}

/** The script's `data` rides along with the task's prompt, in the turn's last new message. */
function withPrecheckData(input: TurnInput, data: unknown): TurnInput {
  if (data === undefined) return input;
  const messages = [...input.newMessages];
  const last = messages.pop()!;
  messages.push({ ...last, content: `${last.content}\n\nThe pre-check script reported:\n${JSON.stringify(data, null, 2)}` });
  return { ...input, newMessages: messages };
}

/** What can be saved from a refused input: its turn id, so the host hears back, and its history. */
const salvageable = z.looseObject({
  turnId: z.string().min(1).max(100),
  history: z.array(historyEntry).max(10_000).catch([]),
});

/** Reads one input; a bad one is answered with a failed turn when its turn id is readable, else skipped. */
async function takeInput(path: string, writeEvent: EventWriter, log: (line: string) => void): Promise<TurnInput | undefined> {
  const read = await readIpcFile(path, turnInputSchema);
  if (read.ok) return read.value;
  log(`refused input ${path}: ${read.reason}`);
  const salvage = await readIpcFile(path, salvageable);
  if (salvage.ok) {
    const { turnId, history } = salvage.value;
    await writeEvent(failedTurn(turnId, history, `invalid turn input: ${read.reason}`, { inputTokens: 0, outputTokens: 0 }, 0, 0));
  }
  return undefined;
}
