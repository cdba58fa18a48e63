/**
 * The IPC folders shared by a sandbox and its host. Inside the sandbox they live at `/ipc`;
 * on the host, under the conversation's sandbox folder. Every file is one JSON document,
 * written to a dot-prefixed temporary name and renamed into place, so a reader never sees a
 * partial file; readers skip dot-files.
 */
export const ipcFolders = {
  /** host → runner: turn inputs, processed in name order; `_close` ends the runner */
  input: 'input',
  /** runner → host: `send_message` requests */
  messages: 'messages',
  /** runner → host: task requests (schedule, list, cancel) */
  tasks: 'tasks',
  /** runner → host: lifecycle events and turn results */
  events: 'events',
  /** host → runner: answers to task requests, named `<requestId>.json` */
  responses: 'responses',
  /** host only: a ring of records of the files it refused (reason, excerpt) */
  errors: 'errors',
} as const;

export type IpcFolder = keyof typeof ipcFolders;

/** Written by the host into `input/` to make the runner finish its current wait and exit. */
export const CLOSE_SENTINEL = '_close';

/** Largest IPC file either side accepts; bigger ones are refused unread. */
export const MAX_IPC_FILE_BYTES = 4 * 1024 * 1024;

/** Where the runner finds things inside the sandbox (the bwrap driver mounts them there). */
export const sandboxPaths = {
  workspace: '/workspace',
  /** Where the skills the conversation's assistant enables are, read-only, one folder each. */
  skills: '/skills',
  ipc: '/ipc',
  proxySocket: '/run/warren/proxy.sock',
} as const;
