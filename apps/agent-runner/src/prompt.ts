import type { TurnInput } from '@warren/ipc';

/** The new messages as one user turn: one per line, `<sender>: <content>`, or just the content. */
export function newMessagesText(messages: TurnInput['newMessages']): string {
  return messages.map((m) => (m.sender === null ? m.content : `${m.sender}: ${m.content}`)).join('\n');
}
