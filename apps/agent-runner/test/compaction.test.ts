import type { TurnInput } from '@warren/ipc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_REQUEST } from '../src/compaction.ts';
import { type Harness, startHarness, type TurnResult } from './harness.ts';

// The runner compacts when the context reaches the budget: one summary call over all but the
// recent turns, the full history before it in the result for the host to archive.

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

type Entry = TurnInput['history'][number];
type Block = { type: string; id?: string; tool_use_id?: string; text?: string };
const blocks = (entry: Entry): Block[] => (Array.isArray(entry.content) ? (entry.content as Block[]) : []);
const budget = (budgetTokens: number, keepTurns = 1) => ({ budgetTokens, keepTurns, summaryMaxTokens: 512 });
const messagesOf = (i: number) => (h.fake.requests[i]!.body as { messages: Entry[] }).messages;

async function turn(text: string, history: TurnInput['history'], overrides: Partial<TurnInput> = {}): Promise<TurnResult> {
  return h.result(await h.sendTurn(text, { history, newMessages: [{ seq: 1, sender: null, content: text }], ...overrides }));
}

/** Every tool_result answers a tool_use of the assistant message just before it. */
function pairsIntact(history: Entry[]): boolean {
  return history.every((entry, i) => {
    const results = blocks(entry).filter((b) => b.type === 'tool_result');
    if (results.length === 0) return true;
    const uses = new Set(i > 0 ? blocks(history[i - 1]!).flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])) : []);
    return history[i - 1]?.role === 'assistant' && results.every((r) => uses.has(r.tool_use_id));
  });
}

describe('compaction', () => {
  let before: TurnInput['history'];
  let contextTokens: number;

  it('reports the context size and does not compact below the budget', async () => {
    const first = await turn('the secret word is pumpernickel', [], { compaction: budget(1_000_000) });
    const second = await turn('#fake tool bash {"command":"echo tool-output-1"}', first.history, {
      compaction: budget(1_000_000),
      contextTokens: first.contextTokens!,
    });
    expect(second.status).toBe('ok');
    expect(second.compaction).toBeUndefined();
    expect(second.contextTokens).toBeGreaterThan(first.contextTokens!);
    expect(second.history).toHaveLength(6); // user, assistant; user, tool_use, tool_result, answer
    before = second.history;
    contextTokens = second.contextTokens!;
  });

  it('past the budget: one summary call, then the summary and the recent turn as the next input; the full history in the result', async () => {
    h.fake.reset();
    const result = await turn('what now?', before, { compaction: budget(contextTokens), contextTokens });
    expect(result.status).toBe('ok');
    expect(h.fake.requests).toHaveLength(2);

    // the summary call read every older message, tool calls and results included, whole
    expect(messagesOf(0)).toEqual([...before, { role: 'user', content: SUMMARY_REQUEST }]);
    const summary = `echo: ${SUMMARY_REQUEST}`; // what the fake answers it
    expect(result.compaction).toEqual({ transcript: [...before, { role: 'user', content: 'what now?' }], summary, contextTokens });

    // the next call: the summary, then the kept turn (here the new one)
    const next = messagesOf(1);
    expect(next).toHaveLength(1);
    expect(blocks(next[0]!)[0]!.text).toContain(summary);
    expect(blocks(next[0]!)[1]).toEqual({ type: 'text', text: 'what now?' });
    expect(result.history).toHaveLength(2);
    expect(result.history[0]).toEqual(next[0]);
    expect(JSON.stringify(result.history)).not.toContain('pumpernickel');
  });

  it('never cuts between a tool_use and its tool_result, mid-turn either', async () => {
    h.fake.reset();
    // the context reaches the budget after the turn's first call: the compaction comes before the second
    const result = await turn('#fake tool bash {"command":"echo tool-output-2"}', before, { compaction: budget(1, 1), contextTokens: 0 });
    expect(result.status).toBe('ok');
    expect(result.compaction?.transcript).toHaveLength(before.length + 3); // + user, tool_use, tool_result
    expect(h.fake.requests).toHaveLength(3); // call, summary, call
    const resumed = messagesOf(2);
    expect(pairsIntact(resumed)).toBe(true);
    expect(resumed.some((entry) => blocks(entry).some((b) => b.type === 'tool_result'))).toBe(true);
    expect(pairsIntact(result.history)).toBe(true);
  });

  it('keeps the recent turns word for word', async () => {
    const result = await turn('and then?', before, { compaction: budget(1, 2), contextTokens });
    // turns start at 0 and 2 of `before`: the second one and the new turn are kept
    expect(result.history.slice(1, 4)).toEqual(before.slice(3));
    expect(blocks(result.history[0]!)[1]).toEqual({ type: 'text', text: before[2]!.content as string });
  });

  it('a failed summary call fails the turn with the history it started from', async () => {
    h.fake.setFailureRate(1);
    try {
      const result = await turn('fail me', before, { compaction: budget(1), contextTokens });
      expect(result.status).toBe('error');
      expect(result.error).toMatch(/model call failed/);
      expect(result.history).toEqual(before);
      expect(result.compaction).toBeUndefined();
    } finally {
      h.fake.setFailureRate(0);
    }
  });
});
