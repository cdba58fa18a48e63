export { type ReadResult, readIpcFile, writeJsonAtomic } from './files.ts';
export { CLOSE_SENTINEL, type IpcFolder, ipcFolders, MAX_IPC_FILE_BYTES, sandboxPaths } from './layout.ts';
export {
  historyEntry,
  type IpcResponse,
  ipcResponseSchema,
  type OutboundMessage,
  outboundMessageSchema,
  type RunnerEvent,
  runnerEventSchema,
  type TaskRequest,
  type TurnInput,
  taskRequestSchema,
  turnInputSchema,
  usageSchema,
} from './schemas.ts';
