import { isDeepStrictEqual } from 'node:util';
import type { ArchiveInput } from '@warren/conversations';
import type { TurnOutcome } from '@warren/sandbox';
import type { ClaimedTurn } from './turn-state.ts';

export class CompactionRefused extends Error {
  override name = 'CompactionRefused';
}

/**
 * What to archive of a turn that compacted its history. The runner is untrusted, so its
 * transcript must begin with the history the host stored and handed it, entry for entry; that
 * part is archived from the host's own copy. The rest — this turn's messages before the
 * compaction — is what the runner reports (schema-checked and size-capped by the IPC contract).
 */
export function compactionArchive(turn: ClaimedTurn, outcome: TurnOutcome): ArchiveInput | null {
  if (!outcome.compaction) return null;
  const { transcript, summary, contextTokens } = outcome.compaction;
  const stored = turn.history;
  if (transcript.length < stored.length || !stored.every((entry, i) => isDeepStrictEqual(entry, transcript[i]))) {
    throw new CompactionRefused('the compacted transcript does not begin with the stored history; not archived, history kept');
  }
  return {
    conversationId: turn.conversationId,
    turnId: turn.turnId,
    transcript: [...stored, ...transcript.slice(stored.length)],
    summary,
    contextTokens,
  };
}
