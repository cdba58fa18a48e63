export {
  createConversation,
  createConversationWithinQuota,
  getConversation,
  findConversationByExternalId,
  listConversations,
  updateConversation,
  type Conversation,
  type ConversationInput,
  type TriggerMode,
} from './conversations.ts';
export { appendUserMessage, listMessages, type Message, type NewUserMessage, type TriggerSettings } from './messages.ts';
export { idempotent, requestFingerprint, type StoredResponse } from './idempotency.ts';
export { stripInternalTags } from './internal-tags.ts';
export { isTrigger, triggerPatternProblem, TRIGGER_PATTERN_MAX_LENGTH } from './trigger.ts';
