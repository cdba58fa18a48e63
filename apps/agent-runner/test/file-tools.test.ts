import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessGroups } from '../src/tools/index.ts';
import { writeFileTool } from '../src/tools/write-file.ts';
import { type Harness, startHarness, toolResults, turnInput } from './harness.ts';

let h: Harness;
let outside: string;
beforeAll(async () => {
  h = await startHarness();
  // a folder beside the workspace, and links planted in the workspace that point into it
  outside = join(h.root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  symlinkSync(outside, join(h.workspace, 'out-dir'));
  symlinkSync(join(outside, 'secret.txt'), join(h.workspace, 'secret-link'));
  symlinkSync(join(outside, 'created-through-link.txt'), join(h.workspace, 'dangling'));
  writeFileSync(join(h.workspace, 'inside.txt'), 'inside');
  symlinkSync('inside.txt', join(h.workspace, 'inside-link'));
});
afterAll(() => h?.close());

const call = (tool: string, input: object) => `#fake tool ${tool} ${JSON.stringify(input)}`;

/** One turn with these tool calls; the results, in order. */
async function run(...calls: string[]) {
  const result = await h.result(await h.sendTurn(calls.join('\n')));
  expect(result.status).toBe('ok');
  return toolResults(result);
}

describe('file tools', () => {
  it('write, read and list inside the workspace', async () => {
    const [written, read, listed, listedSub] = await run(
      call('write_file', { path: 'notes/today.md', content: 'buy milk\n' }),
      call('read_file', { path: 'notes/today.md' }),
      call('list_files', {}),
      call('list_files', { path: 'notes' }),
    );
    expect(written).toMatchObject({ content: 'wrote 9 bytes to notes/today.md' });
    expect(written!.is_error).toBeUndefined();
    expect(readFileSync(join(h.workspace, 'notes/today.md'), 'utf8')).toBe('buy milk\n');
    expect(read!.content).toBe('buy milk\n');
    expect(listed!.content.split('\n')).toEqual(expect.arrayContaining(['notes/', 'inside.txt', 'out-dir@', 'secret-link@']));
    expect(listedSub!.content).toBe('today.md');
  });

  it('accepts an absolute path inside the workspace and a symlink that stays inside', async () => {
    const [absolute, viaLink] = await run(
      call('read_file', { path: join(h.workspace, 'inside.txt') }),
      call('read_file', { path: 'inside-link' }),
    );
    expect(absolute!.content).toBe('inside');
    expect(viaLink!.content).toBe('inside');
  });

  it('refuses ../ escapes and absolute paths outside', async () => {
    const results = await run(
      call('read_file', { path: '../outside/secret.txt' }),
      call('read_file', { path: join(outside, 'secret.txt') }),
      call('read_file', { path: '/etc/passwd' }),
      call('write_file', { path: '../escaped.txt', content: 'x' }),
      call('write_file', { path: 'a/../../escaped.txt', content: 'x' }),
      call('list_files', { path: '..' }),
    );
    for (const result of results) {
      expect(result.is_error).toBe(true);
      expect(result.content).toContain('outside the workspace');
      expect(result.content).not.toContain('top secret');
    }
    expect(existsSync(join(h.root, 'escaped.txt'))).toBe(false);
  });

  it('refuses symlinks planted in the workspace that lead outside', async () => {
    const results = await run(
      call('read_file', { path: 'secret-link' }),
      call('read_file', { path: 'out-dir/secret.txt' }),
      call('list_files', { path: 'out-dir' }),
      call('write_file', { path: 'secret-link', content: 'overwritten' }),
      call('write_file', { path: 'out-dir/new.txt', content: 'x' }),
      call('write_file', { path: 'out-dir/deeper/new.txt', content: 'x' }),
      call('write_file', { path: 'dangling', content: 'x' }),
    );
    for (const result of results) {
      expect(result.is_error).toBe(true);
      expect(result.content).not.toContain('top secret');
    }
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(existsSync(join(outside, 'deeper'))).toBe(false);
    expect(existsSync(join(outside, 'created-through-link.txt'))).toBe(false);
  });

  it('keeps going after refusals', async () => {
    const [ok] = await run(call('read_file', { path: 'inside.txt' }));
    expect(ok!.content).toBe('inside');
  });

  it('caps reads at toolOutputBytes', async () => {
    writeFileSync(join(h.workspace, 'big.txt'), 'b'.repeat(20_000));
    const [read] = await run(call('read_file', { path: 'big.txt' }));
    expect(read!.content).toContain('b'.repeat(16_384));
    expect(read!.content).toContain('[file truncated: first 16384 of 20000 bytes shown]');
  });

  it('caps writes at 1 MiB', async () => {
    // a turn input cannot carry that much text, so the tool is called directly
    const context = {
      workspace: h.workspace,
      ipcDir: h.ipcDir,
      turn: turnInput(''),
      taskResponseTimeoutMs: 1000,
      processes: new ProcessGroups(),
      outputs: { sent: 0 },
    };
    await expect(writeFileTool.run({ path: 'huge.txt', content: 'h'.repeat(1024 * 1024 + 1) }, context)).rejects.toThrow(
      'limit is 1048576',
    );
    expect(existsSync(join(h.workspace, 'huge.txt'))).toBe(false);
    await expect(writeFileTool.run({ path: 'max.txt', content: 'h'.repeat(1024 * 1024) }, context)).resolves.toBe(
      'wrote 1048576 bytes to max.txt',
    );
  });

  it('explains missing files and folders without the runner paths', async () => {
    const [missing, folder] = await run(call('read_file', { path: 'nope.txt' }), call('read_file', { path: 'notes' }));
    expect(missing).toMatchObject({ is_error: true, content: 'nope.txt: no such file or folder' });
    expect(folder).toMatchObject({ is_error: true, content: 'notes: is a folder (use list_files)' });
  });
});
