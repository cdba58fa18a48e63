export {
  type Conversation,
  type ConversationInput,
  createConversation,
  createConversationWithinQuota,
  deleteConversation,
  findConversationByExternalId,
  getConversation,
  listConversations,
  type TriggerMode,
  updateConversation,
} from './conversations.ts';
export { idempotent, requestFingerprint, type StoredResponse } from './idempotency.ts';
export { stripInternalTags } from './internal-tags.ts';
export { appendUserMessage, listMessages, type Message, type NewUserMessage, type TriggerSettings } from './messages.ts';
export { isTrigger, TRIGGER_PATTERN_MAX_LENGTH, triggerPatternProblem } from './trigger.ts';
