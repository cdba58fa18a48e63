import { gzipSync } from 'node:zlib';
import { skillMd, tarOf } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from './harness.ts';

let h: ApiHarness;
let key: string;
beforeAll(async () => {
  h = await startApiHarness({ SKILL_UPLOAD_MAX_BYTES: 64 * 1024, DEFAULT_MAX_SKILLS: 3 });
  key = (await h.tenant('skills')).key;
});
afterAll(() => h.close());

const bundle = (name: string, extra: Array<{ name: string; body: string; type?: 'symlink'; linkname?: string }> = []) =>
  tarOf([{ name: 'SKILL.md', body: skillMd(name) }, ...extra]);
const upload = (name: string, body: Buffer, type = 'application/x-tar', as = key) =>
  h.call(as, 'PUT', `/v1/skills/${name}`, body, { 'content-type': type });

describe('skills API', () => {
  it('stores each upload as a new version, lists the latest, shows the versions', async () => {
    const first = await upload('pdf-tools', await bundle('pdf-tools'));
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ name: 'pdf-tools', version: 1, files: 1, description: expect.stringContaining('PDF') });
    const second = await upload('pdf-tools', gzipSync(await bundle('pdf-tools', [{ name: 'fill.sh', body: 'echo' }])), 'application/gzip');
    expect(second.json()).toMatchObject({ version: 2, files: 2 });
    expect((await h.call(key, 'GET', '/v1/skills')).json().data).toEqual([expect.objectContaining({ name: 'pdf-tools', version: 2 })]);
    expect((await h.call(key, 'GET', '/v1/skills/pdf-tools')).json().versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('refuses bad bundles with 400/413/415 problem+json and stores nothing', async () => {
    const cases: Array<[Promise<Awaited<ReturnType<typeof upload>>>, number, RegExp]> = [
      [
        upload('linked', await bundle('linked', [{ name: 'x', body: '', type: 'symlink', linkname: '/etc/passwd' }])),
        400,
        /only files and folders/,
      ],
      [upload('other-name', await bundle('pdf-tools')), 400, /names the skill pdf-tools/],
      [upload('Bad_Name', await bundle('pdf-tools')), 400, /params/],
      [upload('big', await bundle('big', [{ name: 'blob', body: 'x'.repeat(100 * 1024) }])), 413, /./],
      [upload('plain', await bundle('plain'), 'text/plain'), 415, /./],
      [h.call(key, 'PUT', '/v1/skills/empty'), 400, /send the bundle/],
    ];
    for (const [res, status, detail] of cases) {
      const r = await res;
      expect(r.statusCode, r.body).toBe(status);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.json().detail).toMatch(detail);
    }
    expect((await h.call(key, 'GET', '/v1/skills')).json().data.map((s: { name: string }) => s.name)).toEqual(['pdf-tools']);
  });

  it('holds a tenant to its skill quota; deleting frees a place', async () => {
    expect((await upload('two', await bundle('two'))).statusCode).toBe(201);
    expect((await upload('three', await bundle('three'))).statusCode).toBe(201);
    const over = await upload('four', await bundle('four'));
    expect(over.statusCode).toBe(409);
    expect((await h.call(key, 'DELETE', '/v1/skills/two')).statusCode).toBe(204);
    expect((await h.call(key, 'GET', '/v1/skills/two')).statusCode).toBe(404);
    expect((await upload('four', await bundle('four'))).statusCode).toBe(201);
  });

  it("never shows or deletes another tenant's skill", async () => {
    const other = await h.tenant('other');
    expect((await h.call(other.key, 'GET', '/v1/skills')).json().data).toEqual([]);
    expect((await h.call(other.key, 'GET', '/v1/skills/pdf-tools')).statusCode).toBe(404);
    expect((await h.call(other.key, 'DELETE', '/v1/skills/pdf-tools')).statusCode).toBe(404);
    expect((await h.call(key, 'GET', '/v1/skills/pdf-tools')).statusCode).toBe(200);
  });
});
