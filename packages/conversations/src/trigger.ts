import type { Conversation } from './conversations.ts';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Does this message wake the assistant? `always` and `never` say so outright; `mention` looks
 * for the conversation's pattern, or else the assistant's name as a whole word in any case
 * ("@Andy, help" and "andy?" match, "Andyman" does not). Messages that do not trigger are still
 * stored and become context for the next turn.
 */
export function isTrigger(
  conversation: Pick<Conversation, 'triggerMode' | 'triggerPattern' | 'assistantName'>,
  content: string,
): boolean {
  switch (conversation.triggerMode) {
    case 'always':
      return true;
    case 'never':
      return false;
    case 'mention': {
      const source =
        conversation.triggerPattern ?? `(?<![\\p{L}\\p{N}_])${escapeRegExp(conversation.assistantName)}(?![\\p{L}\\p{N}_])`;
      return new RegExp(source, 'iu').test(content);
    }
  }
}
