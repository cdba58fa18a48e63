import { gzipSync } from 'node:zlib';
import { skillMd, type TarEntry, tarOf } from '@warren/testkit';
import { describe, expect, it } from 'vitest';
import { readSkillBundle, SKILL_LIMITS, SkillBundleError } from '../src/index.ts';

const refused = async (entries: TarEntry[], reason: RegExp) => {
  const err = await readSkillBundle(await tarOf(entries)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SkillBundleError);
  expect((err as Error).message).toMatch(reason);
};

describe('skill bundles', () => {
  it('reads a bundle: name and description from SKILL.md, files with their executable bit', async () => {
    const bundle = await readSkillBundle(
      await tarOf([
        { name: 'SKILL.md', body: skillMd() },
        { name: 'scripts/', type: 'directory' },
        { name: 'scripts/fill.sh', body: '#!/bin/sh\necho filled\n', mode: 0o755 },
      ]),
    );
    expect(bundle).toMatchObject({ name: 'pdf-tools', description: 'Fill and read PDF forms; use when a PDF is involved.' });
    expect(bundle.files.map((f) => [f.path, f.executable])).toEqual([
      ['SKILL.md', false],
      ['scripts/fill.sh', true],
    ]);
  });

  it('takes a gzipped tar of the skill folder itself (tar -czf x.tgz pdf-tools/)', async () => {
    const tar = await tarOf([
      { name: 'pdf-tools/', type: 'directory' },
      { name: 'pdf-tools/SKILL.md', body: skillMd() },
      { name: 'pdf-tools/ref/forms.md', body: 'forms' },
    ]);
    const bundle = await readSkillBundle(gzipSync(tar));
    expect(bundle.files.map((f) => f.path)).toEqual(['SKILL.md', 'ref/forms.md']);
  });

  it('refuses links, escaping paths, a missing or bad SKILL.md, duplicates and garbage', async () => {
    const md = { name: 'SKILL.md', body: skillMd() };
    await refused([md, { name: 'evil', type: 'symlink', linkname: '/etc/shadow' }], /only files and folders.*symlink/);
    await refused([md, { name: 'hard', type: 'link', linkname: 'SKILL.md' }], /only files and folders/);
    await refused([md, { name: '../escape.sh', body: 'x' }], /\.\./);
    await refused([md, { name: '/etc/cron.d/x', body: 'x' }], /absolute/);
    await refused([{ name: 'README.md', body: 'no skill here' }], /SKILL\.md is missing/);
    await refused([{ name: 'SKILL.md', body: '# no front matter' }], /front matter/);
    await refused([{ name: 'SKILL.md', body: skillMd('Bad Name') }], /name/);
    await refused([md, { name: './SKILL.md', body: skillMd() }], /twice/);
    await expect(readSkillBundle(Buffer.from('not a tar at all, just some text that is long enough'))).rejects.toThrow(SkillBundleError);
  });

  it('stops reading past the unpacked size limit, also when the upload is a small gzip', async () => {
    const big = Buffer.alloc(SKILL_LIMITS.bytes + 1);
    const tgz = gzipSync(
      await tarOf([
        { name: 'SKILL.md', body: skillMd() },
        { name: 'zeros', body: big },
      ]),
    );
    expect(tgz.length).toBeLessThan(100_000);
    await expect(readSkillBundle(tgz)).rejects.toThrow(/more than .* bytes unpacked/);
  });
});
