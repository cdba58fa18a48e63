import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@warren/core';
import { ipcFolders, type OutboundMessage, writeJsonAtomic } from '@warren/ipc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BwrapDriver } from '../src/bwrap-driver.ts';
import { IpcChannel } from '../src/ipc-channel.ts';
import { HostFixture, newIds, nodeProbe, runSandbox, until } from './bwrap-fixtures.ts';

/**
 * The sandbox attacks the host's end of its IPC: it plants names the host will refuse and races
 * the host while it handles them. Real bwrap sandboxes, the host running as root, a root-owned
 * canary folder outside the sandbox that the host must never touch.
 */

const asRoot = process.getuid?.() === 0;
const CANARY_FILES = 400;
const host = new HostFixture();
const driver = new BwrapDriver();
let canary: string;

beforeAll(() => host.startProxy());
beforeEach(() => {
  canary = join(host.privateDir(), 'canary');
  mkdirSync(canary);
  for (let i = 0; i < CANARY_FILES; i++) writeFileSync(join(canary, `f${i}`), 'precious');
  chmodSync(canary, 0o755);
});
afterAll(async () => {
  await driver.cleanupLeftovers(host.dir);
  await host.cleanup();
});

const canaryCount = () => readdirSync(canary).length;

/** A channel on a fresh conversation's IPC folders; its log lines are kept. */
async function openChannel() {
  const ids = newIds();
  const folders = await host.folders(ids.tenantId, ids.conversationId);
  const logs: string[] = [];
  const messages: OutboundMessage[] = [];
  const sink = new Writable({
    write: (chunk, _enc, done) => {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const channel = new IpcChannel({
    ipcDir: folders.ipcDir,
    ...ids,
    logger: createLogger('ipc-attack-test', { level: 'debug' }, sink),
    handlers: { onEvent: () => {}, onMessage: (m) => messages.push(m), onTaskRequest: () => {} },
  });
  await channel.open();
  const attack = async (script: string) => {
    const result = await runSandbox(driver, await host.spec({ command: nodeProbe(script) }, ids));
    expect(result.code).toBe(0);
    return result;
  };
  const message = (requestId: string): OutboundMessage => ({
    type: 'send_message',
    requestId,
    turnId: 'turn_1',
    ...ids,
    seq: 0,
    text: 'hi',
  });
  return { ids, folders, logs, messages, channel, attack, message };
}

describe.runIf(asRoot)('the host’s IPC end under attack from its sandbox', () => {
  it('never deletes outside the sandbox when a refused directory with a too-long name is swapped for a symlink', async () => {
    const { channel, attack } = await openChannel();
    try {
      // A name so long that `errors/<timestamp>-<name>` is over NAME_MAX, then the swap for a
      // symlink to the canary as soon as the host starts deleting the directory's files.
      await attack(`
        const fs = require('fs');
        const dir = '/ipc/messages/' + 'x'.repeat(245);
        for (let round = 0; round < 8; round++) {
          const staging = '/ipc/messages/.staging';
          fs.mkdirSync(staging);
          for (let i = 0; i < ${CANARY_FILES}; i++) fs.writeFileSync(staging + '/f' + i, '');
          fs.symlinkSync(${JSON.stringify(canary)}, '/ipc/messages/.link');
          fs.renameSync(staging, dir);
          const deadline = Date.now() + 1000;
          while (fs.existsSync(dir + '/f0') && Date.now() < deadline);
          // the attacker's own script: only "the host got there first" (ENOENT) is expected
          const unlessGone = (fn) => { try { fn(); } catch (e) { if (e.code !== 'ENOENT') throw e; } };
          unlessGone(() => fs.renameSync(dir, '/ipc/messages/.gone-' + round));
          fs.renameSync('/ipc/messages/.link', dir);
          const settle = Date.now() + 300;
          while (Date.now() < settle);
          unlessGone(() => fs.unlinkSync(dir));
        }
      `);
      expect(canaryCount()).toBe(CANARY_FILES);
    } finally {
      await channel.close();
    }
  });

  it.each([ipcFolders.events, ipcFolders.messages, ipcFolders.tasks])(
    'leaves a symlink to a host folder and a planted directory in %s/ alone, and carries on',
    async (folder) => {
      const { folders, channel, messages, attack, message } = await openChannel();
      try {
        await attack(`
          const fs = require('fs');
          fs.symlinkSync(${JSON.stringify(canary)}, '/ipc/${folder}/link.json');
          fs.symlinkSync(${JSON.stringify(join(canary, 'f1'))}, '/ipc/${folder}/file-link.json');
          fs.mkdirSync('/ipc/${folder}/.dir');
          fs.symlinkSync(${JSON.stringify(canary)}, '/ipc/${folder}/.dir/inner');
          for (let i = 0; i < 20; i++) fs.writeFileSync('/ipc/${folder}/.dir/f' + i, '');
          fs.renameSync('/ipc/${folder}/.dir', '/ipc/${folder}/dir.json');
        `);
        await writeJsonAtomic(join(folders.ipcDir, ipcFolders.messages, 'zz-after.json'), message('after'));
        expect(await until(() => messages.length === 1)).toBe(true);
        expect(canaryCount()).toBe(CANARY_FILES);
        expect(readdirSync(join(folders.ipcDir, folder)).sort()).toEqual(['dir.json', 'file-link.json', 'link.json']);
      } finally {
        await channel.close();
      }
    },
  );

  it('keeps errors/ and its log lines bounded when the sandbox writes 2,000 junk files', async () => {
    const { folders, channel, logs, messages, attack, message } = await openChannel();
    try {
      await attack(`
        const fs = require('fs');
        for (let i = 0; i < 2000; i++) fs.writeFileSync('/ipc/messages/junk-' + String(i).padStart(5, '0') + '.json', 'not json ' + i);
      `);
      await writeJsonAtomic(join(folders.ipcDir, ipcFolders.messages, 'zz-after.json'), message('after'));
      const left = () => readdirSync(join(folders.ipcDir, ipcFolders.messages));
      expect(await until(() => messages.length === 1 && left().length === 0, 60_000)).toBe(true);
      expect(readdirSync(join(folders.ipcDir, ipcFolders.errors)).length).toBeLessThanOrEqual(100);
      expect(logs.filter((line) => line.includes('refused ipc file')).length).toBeLessThanOrEqual(25);
    } finally {
      await channel.close();
    }
  });
});
