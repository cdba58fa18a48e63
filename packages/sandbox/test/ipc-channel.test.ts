import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@warren/core';
import { MAX_IPC_FILE_BYTES, type OutboundMessage, type RunnerEvent, type TaskRequest, writeJsonAtomic } from '@warren/ipc';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcChannel } from '../src/ipc-channel.ts';

const tenantId = 'ten_01h2xcejqtf2nbrexx3vqjhp41';
const conversationId = 'conv_01h2xcejqtf2nbrexx3vqjhp41';
let dir: string;
let channel: IpcChannel;
let got: { events: RunnerEvent[]; messages: OutboundMessage[]; tasks: TaskRequest[] };
let logs: string[];

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  return check();
};
const message = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  type: 'send_message',
  requestId: 'r1',
  turnId: 'turn_1',
  tenantId,
  conversationId,
  seq: 0,
  text: 'hi',
  ...over,
});
/** The reasons recorded in errors/ for files named `name`. */
const errorsFor = (name: string) =>
  readdirSync(join(dir, 'errors'))
    .filter((f) => !f.startsWith('.'))
    .map((f) => JSON.parse(readFileSync(join(dir, 'errors', f), 'utf8')) as { file: string; reason: string })
    .filter((record) => record.file === name)
    .map((record) => record.reason);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warren-ipc-'));
  got = { events: [], messages: [], tasks: [] };
  logs = [];
  const sink = new Writable({
    write: (c, _e, done) => {
      logs.push(String(c));
      done();
    },
  });
  channel = new IpcChannel({
    ipcDir: dir,
    tenantId,
    conversationId,
    logger: createLogger('ipc-test', { level: 'debug' }, sink),
    handlers: {
      onEvent: (e) => got.events.push(e),
      onMessage: (m) => got.messages.push(m),
      onTaskRequest: (t) => got.tasks.push(t),
    },
  });
  await channel.open();
});
afterEach(async () => {
  await channel.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('IpcChannel', () => {
  it('delivers valid files in name order and removes them', async () => {
    await writeJsonAtomic(join(dir, 'messages', '002.json'), message({ requestId: 'second' }));
    await writeJsonAtomic(join(dir, 'messages', '001.json'), message({ requestId: 'first' }));
    await writeJsonAtomic(join(dir, 'events', '001.json'), { type: 'ready', at: 1 });
    await writeJsonAtomic(join(dir, 'tasks', '001.json'), {
      type: 'list_tasks',
      requestId: 'q1',
      turnId: 'turn_1',
      tenantId,
      conversationId,
    });
    expect(await until(() => got.messages.length === 2 && got.events.length === 1 && got.tasks.length === 1)).toBe(true);
    expect(got.messages.map((m) => m.requestId).sort()).toEqual(['first', 'second']);
    expect(readdirSync(join(dir, 'messages'))).toEqual([]);
  });

  it('refuses a request naming another tenant or conversation, logs it, and carries on', async () => {
    await writeJsonAtomic(join(dir, 'messages', 'forged-tenant.json'), message({ tenantId: 'ten_01h2xcejqtf2nbrexx3vqjhp42' }));
    await writeJsonAtomic(join(dir, 'tasks', 'forged-conv.json'), {
      type: 'cancel_task',
      requestId: 'q2',
      turnId: 'turn_1',
      tenantId,
      conversationId: 'conv_01h2xcejqtf2nbrexx3vqjhp42',
      taskId: 'task_x',
    });
    await writeJsonAtomic(join(dir, 'messages', 'z-ok.json'), message({ requestId: 'ok' }));
    expect(await until(() => got.messages.length === 1)).toBe(true);
    expect(await until(() => errorsFor('forged-conv.json').length === 1)).toBe(true);
    expect(got.messages[0]!.requestId).toBe('ok');
    expect(got.tasks).toEqual([]);
    expect(errorsFor('forged-tenant.json')).toEqual(['names another tenant or conversation']);
    expect(logs.join('')).toContain('"namedTenantId":"ten_01h2xcejqtf2nbrexx3vqjhp42"');
  });

  it.each([
    ['malformed JSON', (p: string) => writeFileSync(p, '{"type": "send_mess'), /not valid JSON/],
    ['wrong shape', (p: string) => writeFileSync(p, JSON.stringify({ type: 'send_message', text: 5 })), /schema/],
    ['unknown field', (p: string) => writeFileSync(p, JSON.stringify({ ...message(), admin: true })), /schema/],
    ['oversize', (p: string) => writeFileSync(p, JSON.stringify({ ...message(), text: 'x'.repeat(MAX_IPC_FILE_BYTES) })), /larger than/],
  ])('records %s in errors/ with the reason and an excerpt, removes it, and keeps running', async (_name, plant, reason) => {
    plant(join(dir, 'messages', 'bad.json'));
    expect(await until(() => errorsFor('bad.json').length === 1)).toBe(true);
    expect(errorsFor('bad.json')[0]).toMatch(reason);
    expect(existsSync(join(dir, 'messages', 'bad.json'))).toBe(false);
    await writeJsonAtomic(join(dir, 'messages', 'good.json'), message());
    expect(await until(() => got.messages.length === 1)).toBe(true);
  });

  it.each([
    ['a symlink to a host file', (p: string) => symlinkSync('/etc/hostname', p)],
    ['a directory', (p: string) => mkdirSync(p)],
  ])('records %s once, leaves it in place, and keeps running', async (_name, plant) => {
    plant(join(dir, 'messages', 'bad.json'));
    expect(await until(() => errorsFor('bad.json').length === 1)).toBe(true);
    expect(errorsFor('bad.json')[0]).toMatch(/not a regular file/);
    await writeJsonAtomic(join(dir, 'messages', 'good.json'), message());
    expect(await until(() => got.messages.length === 1)).toBe(true);
    expect(readdirSync(join(dir, 'messages'))).toEqual(['bad.json']);
    expect(errorsFor('bad.json')).toHaveLength(1); // not again at every poll
  });

  it('ignores files still being written (dot-prefixed temporaries)', async () => {
    writeFileSync(join(dir, 'messages', '.partial.json.tmp-1'), '{"type":');
    await writeJsonAtomic(join(dir, 'messages', 'done.json'), message());
    expect(await until(() => got.messages.length === 1)).toBe(true);
    expect(readdirSync(join(dir, 'errors'))).toEqual([]);
  });

  it('writes turns in order and refuses unsafe response names', async () => {
    const turn = (turnId: string) => ({
      type: 'turn' as const,
      turnId,
      tenantId,
      conversationId,
      model: 'm',
      systemPrompt: '',
      history: [],
      newMessages: [{ seq: 1, sender: null, content: 'x' }],
      limits: { maxIterations: 1, maxTokens: 10, bashTimeoutMs: 1000, toolOutputBytes: 2048 },
      proxyToken: 'wtt1.token',
    });
    await channel.sendTurn(turn('turn_a'));
    await channel.sendTurn(turn('turn_b'));
    expect(readdirSync(join(dir, 'input')).sort()).toEqual(['00000001-turn_a.json', '00000002-turn_b.json']);
    await expect(channel.respond({ requestId: '../../escape', ok: true })).rejects.toThrow(/unsafe/);
    await channel.respond({ requestId: 'q1', ok: true, result: [] });
    expect(existsSync(join(dir, 'responses', 'q1.json'))).toBe(true);
  });
});
