import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { childGroups, readPids, removeIfEmpty } from '../src/cgroup-fs.ts';

// The cgroup helpers treat a group that is gone as empty, and a busy one as left alone, but no
// other failure: that one goes on to the caller. Plain folders stand in for groups here.

const dir = mkdtempSync(join(tmpdir(), 'warren-cgroup-fs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a group that is gone has no processes and no children, and removing it again is fine', async () => {
  const gone = join(dir, 'gone');
  expect(await readPids(gone)).toEqual([]);
  expect(await childGroups(gone)).toEqual([]);
  await expect(removeIfEmpty(gone)).resolves.toBeUndefined();
});

it('a group that still holds something is left alone', async () => {
  const busy = join(dir, 'busy');
  mkdirSync(join(busy, 'child'), { recursive: true });
  await expect(removeIfEmpty(busy)).resolves.toBeUndefined();
  expect(await childGroups(busy)).toEqual([join(busy, 'child')]);
});

it('any other failure reaches the caller', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  await expect(removeIfEmpty(file)).rejects.toMatchObject({ code: 'ENOTDIR' });
  await expect(childGroups(file)).rejects.toMatchObject({ code: 'ENOTDIR' });
});
