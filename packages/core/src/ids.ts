import { typeidUnboxed } from 'typeid-js';
import { text } from './text.ts';

/** Every id Warren mints: a TypeID, i.e. `<prefix>_<26 chars of base32 UUIDv7>`, sortable by creation time. */
export const idPrefixes = {
  tenant: 'ten',
  apiKey: 'key',
  conversation: 'conv',
  message: 'msg',
  turn: 'turn',
  task: 'task',
  taskRun: 'run',
  archive: 'arc',
  assistant: 'asst',
  assistantVersion: 'asv',
  usage: 'use',
  inboundHook: 'hook',
  webhookEndpoint: 'ep',
  webhookDelivery: 'dlv',
  dashboardSession: 'dsn',
} as const;

export type IdKind = keyof typeof idPrefixes;

export function newId(kind: IdKind): string {
  return typeidUnboxed(idPrefixes[kind]);
}

const suffix = '[0-7][0-9a-hjkmnp-tv-z]{25}';

/** A zod schema accepting only well-formed ids of one kind. */
export function idSchema(kind: IdKind) {
  const prefix = idPrefixes[kind];
  return text().regex(new RegExp(`^${prefix}_${suffix}$`), `must be a ${kind} id (${prefix}_…)`);
}
