import type { ChildProcess } from 'node:child_process';
import { provisionTenant } from '@warren/tenancy';
import { type ModelStack, skillMd, startModelStack, tarOf } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, eventually, spawnApi, spawnWorker, stopProcess } from './helpers.ts';

// A tenant's skill reaches the sandboxes of assistants that enable it, read-only at
// /skills/<name>, and the system prompt names it — real API, worker, sandbox and fake model.

let stack: ModelStack;
let api: ApiProcess;
let worker: ChildProcess;
let key: string;

beforeAll(async () => {
  stack = await startModelStack();
  key = (await provisionTenant(stack.db.pool, { name: 'skills' })).apiKey.key;
  worker = spawnWorker(stack, 'skills');
  api = await spawnApi(stack);
}, 60_000);

afterAll(async () => {
  for (const child of [api?.process, worker]) if (child) await stopProcess(child, 'SIGTERM');
  await stack.close();
});

const call = (method: string, path: string, body?: unknown) => api.call(method, path, key, body);

async function uploadSkill(name: string, body: string) {
  const tar = await tarOf([
    { name: 'SKILL.md', body: skillMd(name, `Knows the ${name} procedure.`) },
    { name: 'steps.txt', body },
  ]);
  const res = await fetch(`${api.base}/v1/skills/${name}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-tar' },
    body: tar,
  });
  expect(res.status).toBe(201);
}

/** Posts a bash command for the fake model to run and returns the turn's reply. */
async function ask(conversationId: string, command: string, turn: number): Promise<string> {
  await call('POST', `/v1/conversations/${conversationId}/messages`, { content: `#fake tool bash ${JSON.stringify({ command })}` });
  const page = await eventually(
    () => call('GET', `/v1/conversations/${conversationId}/messages`),
    (r) => r.body.data.filter((m: { role: string }) => m.role === 'assistant').length === turn,
  );
  return page.body.data.at(-1).content;
}

describe('tenant skills in sandboxes', () => {
  it("binds the assistant's enabled skills read-only, names them in the system prompt, and follows a new version", async () => {
    await uploadSkill('filing', 'step one');
    await uploadSkill('unused', 'not enabled');
    const assistant = (await call('POST', '/v1/assistants', { name: 'Clerk', instructions: 'You are Clerk.', skills: ['filing'] })).body;
    const conv = (await call('POST', '/v1/conversations', { assistantId: assistant.id })).body;

    stack.fake.reset();
    const first = await ask(conv.id, 'ls /skills; cat /skills/filing/steps.txt; touch /skills/filing/x 2>&1 || true', 1);
    expect(first).toContain('filing');
    expect(first).not.toContain('unused');
    expect(first).toContain('step one');
    expect(first).toMatch(/Read-only file system/);
    const system = (stack.fake.requests[0]!.body as { system: string }).system;
    expect(system).toMatch(/^You are Clerk\./);
    expect(system).toContain('- filing: Knows the filing procedure.');
    expect(system).not.toContain('unused');

    await uploadSkill('filing', 'step two');
    expect(await ask(conv.id, 'cat /skills/filing/steps.txt', 2)).toContain('step two');

    // another tenant's assistant naming the same skill gets nothing: skills are per tenant
    const other = await provisionTenant(stack.db.pool, { name: 'skills-other' });
    const asOther = (method: string, path: string, body?: unknown) => api.call(method, path, other.apiKey.key, body);
    const theirs = (await asOther('POST', '/v1/assistants', { name: 'Clerk', instructions: 'You are Clerk.', skills: ['filing'] })).body;
    const theirConv = (await asOther('POST', '/v1/conversations', { assistantId: theirs.id })).body;
    await asOther('POST', `/v1/conversations/${theirConv.id}/messages`, {
      content: `#fake tool bash ${JSON.stringify({ command: 'ls /skills/filing 2>&1 || echo no-such-skill' })}`,
    });
    const theirReply = await eventually(
      () => asOther('GET', `/v1/conversations/${theirConv.id}/messages`),
      (r) => r.body.data.some((m: { role: string }) => m.role === 'assistant'),
    );
    expect(theirReply.body.data.at(-1).content).toContain('no-such-skill');
    expect(theirReply.body.data.at(-1).content).not.toContain('steps.txt');

    // a conversation without an assistant gets no skills
    const plain = (await call('POST', '/v1/conversations', {})).body;
    expect(await ask(plain.id, 'ls /skills 2>&1 || echo no-skills-folder', 1)).toMatch(/no-skills-folder|No such file/);
  }, 120_000);
});
