export { ipcFolders, CLOSE_SENTINEL, MAX_IPC_FILE_BYTES, sandboxPaths, type IpcFolder } from './layout.ts';
export {
  turnInputSchema,
  runnerEventSchema,
  outboundMessageSchema,
  taskRequestSchema,
  ipcResponseSchema,
  historyEntry,
  usageSchema,
  type TurnInput,
  type RunnerEvent,
  type OutboundMessage,
  type TaskRequest,
  type IpcResponse,
} from './schemas.ts';
export { writeJsonAtomic, readIpcFile, type ReadResult } from './files.ts';
