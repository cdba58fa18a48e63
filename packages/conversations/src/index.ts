export { type ArchiveInput, getArchive, listArchives, writeArchive } from './archives.ts';
export {
  type AssistantSettings,
  type AssistantVersion,
  changeAssistant,
  conversationAssistant,
  createAssistant,
  getAssistant,
  getAssistantVersion,
  listAssistants,
  listAssistantVersions,
  MAX_ASSISTANT_VERSIONS,
} from './assistants.ts';
export {
  type Conversation,
  type ConversationInput,
  createConversation,
  createConversationWithinQuota,
  deleteConversation,
  findConversationByExternalId,
  findOrCreateConversationByExternalId,
  getConversation,
  listConversations,
  type TriggerMode,
  updateConversation,
} from './conversations.ts';
export { idempotent, requestFingerprint, type StoredResponse } from './idempotency.ts';
export { stripInternalTags } from './internal-tags.ts';
export { appendUserMessage, listMessages, type Message, type NewUserMessage, type TriggerSettings } from './messages.ts';
export { SEARCH_MAX_OFFSET, searchTenant } from './search.ts';
export { isTrigger, TRIGGER_PATTERN_MAX_LENGTH, triggerPatternProblem } from './trigger.ts';
