import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newId } from '@warren/core';
import { skillMd, tarOf } from '@warren/testkit';
import { describe, expect, it } from 'vitest';
import { skillFolder } from '../src/index.ts';

describe('skill folders on a host', () => {
  it('unpacks a version once, readable by the sandbox user and writable by nobody else', async () => {
    const root = mkdtempSync(join(tmpdir(), 'warren-skills-'));
    const tenantId = newId('tenant');
    const archive = await tarOf([
      { name: 'SKILL.md', body: skillMd('pdf-tools') },
      { name: 'scripts/fill.sh', body: '#!/bin/sh\n', mode: 0o777 },
    ]);
    const dir = await skillFolder(root, tenantId, { name: 'pdf-tools', version: 3, archive });
    expect(dir).toBe(join(root, '.skills', tenantId, 'pdf-tools@3'));
    expect(readFileSync(join(dir, 'SKILL.md'), 'utf8')).toContain('name: pdf-tools');
    const mode = (p: string) => statSync(join(dir, p)).mode & 0o7777;
    expect([mode('.'), mode('scripts'), mode('SKILL.md'), mode('scripts/fill.sh')]).toEqual([0o755, 0o755, 0o644, 0o755]);
    const before = statSync(join(dir, 'SKILL.md')).mtimeMs;
    expect(await skillFolder(root, tenantId, { name: 'pdf-tools', version: 3, archive })).toBe(dir);
    expect(statSync(join(dir, 'SKILL.md')).mtimeMs).toBe(before);
  });

  it('checks the stored archive again: one naming another skill is refused', async () => {
    const root = mkdtempSync(join(tmpdir(), 'warren-skills-'));
    const archive = await tarOf([{ name: 'SKILL.md', body: skillMd('other') }]);
    await expect(skillFolder(root, newId('tenant'), { name: 'pdf-tools', version: 1, archive })).rejects.toThrow(/names itself other/);
  });
});
