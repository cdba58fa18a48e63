import type { TurnOutcome } from '@warren/sandbox';
import { describe, expect, it } from 'vitest';
import { CompactionRefused, compactionArchive } from '../src/compaction-archive.ts';
import type { ClaimedTurn } from '../src/turn-state.ts';

// The runner is untrusted: what it reports as the transcript before compaction must begin with
// the history the host stored, or nothing is archived and nothing replaced.

const stored = [
  { role: 'user', content: 'the codeword is xylophone' },
  { role: 'assistant', content: [{ type: 'text', text: 'noted' }] },
];
const turn = {
  turnId: 'turn_1',
  attempt: 1,
  conversationId: 'conv_1',
  toSeq: 3,
  fromSeq: 2,
  newMessages: [],
  history: stored,
} as unknown as ClaimedTurn;
const outcome = (transcript: unknown[]): TurnOutcome =>
  ({
    type: 'turn_result',
    turnId: 'turn_1',
    status: 'ok',
    finalText: 'ok',
    history: [{ role: 'user', content: 'summary' }],
    usage: { inputTokens: 1, outputTokens: 1 },
    iterations: 1,
    outputs: 0,
    compaction: { transcript, summary: 'summary', contextTokens: 5000 },
  }) as TurnOutcome;

describe('compactionArchive', () => {
  it('archives the stored history and what the turn added', () => {
    const added = { role: 'user', content: 'what now?' };
    expect(compactionArchive(turn, outcome([...structuredClone(stored), added]))).toEqual({
      conversationId: 'conv_1',
      turnId: 'turn_1',
      transcript: [...stored, added],
      summary: 'summary',
      contextTokens: 5000,
    });
  });

  it('nothing to archive without a compaction', () => {
    expect(compactionArchive(turn, { ...outcome([]), compaction: undefined })).toBeNull();
  });

  it('refuses a transcript that drops, changes or leaves out stored entries', () => {
    const changed = [{ role: 'user', content: 'the codeword is banana' }, stored[1]];
    for (const transcript of [changed, stored.slice(1), stored.slice(0, 1), []]) {
      expect(() => compactionArchive(turn, outcome(transcript))).toThrow(CompactionRefused);
    }
  });
});
