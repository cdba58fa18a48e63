import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** What one skill bundle may hold: the API's size cap is checked on the upload, these on what it unpacks to. */
export const SKILL_LIMITS = { files: 500, bytes: 10 * 1024 * 1024, pathLength: 200, depth: 12 } as const;

/** Agent Skills: a lowercase name of letters, digits and hyphens, and a description saying when to use it. */
export const skillNameSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/,
    'lowercase letters, digits and hyphens, at most 64, not starting or ending with a hyphen',
  );

const frontMatterSchema = z.object({
  name: skillNameSchema,
  description: z.string().trim().min(1).max(1024),
});

export interface SkillFile {
  /** Relative, normalised, no `..`. */
  path: string;
  executable: boolean;
  data: Buffer;
}

export interface SkillBundle {
  name: string;
  description: string;
  files: SkillFile[];
  bytes: number;
}

/** A bundle refused, with the reason the API shows (400). */
export class SkillBundleError extends Error {
  override name = 'SkillBundleError';
}

/**
 * Reads an uploaded skill bundle — a tar, gzipped or not — in memory, never touching the disk:
 * regular files and folders only (links, devices and the like are refused, not skipped), paths
 * relative without `..`, within the limits, and `SKILL.md` at the top (or inside one top folder,
 * which is then dropped) with front matter naming the skill and describing it.
 */
export async function readSkillBundle(upload: Buffer): Promise<SkillBundle> {
  const gzipped = upload[0] === 0x1f && upload[1] === 0x8b;
  const source = Readable.from([upload]);
  const tar = extract();
  (gzipped ? source.pipe(createGunzip()) : source).pipe(tar);
  const files: SkillFile[] = [];
  let bytes = 0;
  try {
    for await (const entry of tar) {
      const { type, name, mode } = entry.header;
      const path = normalise(name);
      if (type === 'directory') {
        entry.resume();
        continue;
      }
      if (type !== 'file') throw new SkillBundleError(`${path}: only files and folders may be in a skill (this is a ${type})`);
      if (files.length >= SKILL_LIMITS.files) throw new SkillBundleError(`more than ${SKILL_LIMITS.files} files`);
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > SKILL_LIMITS.bytes) throw new SkillBundleError(`more than ${SKILL_LIMITS.bytes} bytes unpacked`);
        chunks.push(chunk);
      }
      files.push({ path, executable: ((mode ?? 0) & 0o111) !== 0, data: Buffer.concat(chunks) });
    }
  } catch (err) {
    if (err instanceof SkillBundleError) throw err;
    throw new SkillBundleError(`not a readable tar archive: ${(err as Error).message}`);
  }
  return describe(dropTopFolder(files), bytes);
}

function normalise(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  const path = parts.join('/');
  if (name.startsWith('/')) throw new SkillBundleError(`${name}: absolute paths are refused`);
  if (parts.includes('..')) throw new SkillBundleError(`${name}: paths with .. are refused`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\\]/.test(path)) throw new SkillBundleError(`${JSON.stringify(name)}: control characters and backslashes are refused`);
  if (path.length > SKILL_LIMITS.pathLength || parts.length > SKILL_LIMITS.depth)
    throw new SkillBundleError(`${name}: path too long or too deep`);
  if (path === '') throw new SkillBundleError('an entry without a name');
  return path;
}

/** A bundle made with `tar -cf x.tar my-skill/` has everything under my-skill/: the skill is that folder. */
function dropTopFolder(files: SkillFile[]): SkillFile[] {
  if (files.some((f) => f.path === 'SKILL.md')) return files;
  const tops = new Set(files.map((f) => f.path.split('/')[0]));
  const [top] = tops;
  if (tops.size !== 1 || !files.some((f) => f.path === `${top}/SKILL.md`))
    throw new SkillBundleError('SKILL.md is missing at the top of the bundle');
  return files.map((f) => ({ ...f, path: f.path.slice(`${top}/`.length) }));
}

function describe(files: SkillFile[], bytes: number): SkillBundle {
  const paths = new Set<string>();
  for (const f of files) {
    if (paths.has(f.path)) throw new SkillBundleError(`${f.path} appears twice`);
    paths.add(f.path);
  }
  const skillMd = files.find((f) => f.path === 'SKILL.md')!.data.toString('utf8');
  const match = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(skillMd);
  if (!match) throw new SkillBundleError('SKILL.md must start with front matter (--- name, description ---)');
  let front: unknown;
  try {
    front = parseYaml(match[1]!, { maxAliasCount: 0 });
  } catch (err) {
    throw new SkillBundleError(`SKILL.md front matter is not YAML: ${(err as Error).message}`);
  }
  const parsed = frontMatterSchema.safeParse(front);
  if (!parsed.success) throw new SkillBundleError(`SKILL.md front matter: ${z.prettifyError(parsed.error)}`);
  return { ...parsed.data, files, bytes };
}
