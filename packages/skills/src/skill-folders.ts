import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { idSchema } from '@warren/core';
import { readSkillBundle } from './bundle.ts';

/**
 * Unpacks a skill version for sandboxes to bind read-only: `<root>/.skills/<tenant>/<name>@<version>`,
 * files 0644 (0755 when executable), folders 0755, all root's, so the sandbox user can read them
 * and change nothing. Written into a fresh staging folder and renamed into place, so a sandbox
 * never sees half a skill and two workers on one host may race; an existing version is reused.
 * The archive is checked again on the way (the same reader as the upload), and every path is
 * created below the staging folder only.
 */
export async function skillFolder(
  root: string,
  tenantId: string,
  skill: { name: string; version: number; archive: Buffer },
): Promise<string> {
  const tenantDir = join(resolve(root), '.skills', idSchema('tenant').parse(tenantId));
  const target = join(tenantDir, `${skill.name}@${skill.version}`);
  if (await exists(target)) return target;
  const bundle = await readSkillBundle(skill.archive);
  if (bundle.name !== skill.name) throw new Error(`stored skill ${skill.name} names itself ${bundle.name}`);
  await mkdir(tenantDir, { recursive: true, mode: 0o711 });
  const staging = await mkdtemp(join(tenantDir, '.unpack-'));
  try {
    for (const file of bundle.files) {
      const path = join(staging, file.path);
      await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      await writeFile(path, file.data, { flag: 'wx', mode: file.executable ? 0o755 : 0o644 });
    }
    await chmod(staging, 0o755);
    await rename(staging, target);
  } catch (err) {
    // another worker of this host unpacked the same version first: use that one
    if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') {
      await rm(staging, { recursive: true }); // the host's own files, never a sandbox's
      return target;
    }
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return target;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
