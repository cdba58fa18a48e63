import { randomInt } from 'node:crypto';

// Ids shaped like the real API's (`msg_01…`, `toolu_01…`, `req_01…`: a prefix, `01`, 22 base62
// characters), so code that checks their form accepts them. They are random; nothing else is.

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function newId(prefix: string): string {
  let id = `${prefix}_01`;
  for (let i = 0; i < 22; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

export const newMessageId = () => newId('msg');
export const newToolUseId = () => newId('toolu');
export const newRequestId = () => newId('req');
