export { type ReadResult, readIpcFile, writeJsonAtomic } from './files.ts';
export { CLOSE_SENTINEL, type IpcFolder, ipcFolders, MAX_IPC_FILE_BYTES, sandboxPaths } from './layout.ts';
export {
  historyEntry,
  type IpcResponse,
  ipcResponseSchema,
  type OutboundMessage,
  outboundMessageSchema,
  type PrecheckResult,
  precheckOutputSchema,
  precheckResultSchema,
  type RunnerEvent,
  runnerEventSchema,
  type TaskFields,
  type TaskRequest,
  type TaskSchedule,
  type TurnInput,
  taskFieldsSchema,
  taskRequestSchema,
  taskScheduleSchema,
  turnInputSchema,
  usageSchema,
} from './schemas.ts';
