import { join } from 'node:path';
import { ipcFolders, outboundMessageSchema, taskRequestSchema, writeJsonAtomic } from '@warren/ipc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, toolResults, waitFor } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ WARREN_TASK_RESPONSE_TIMEOUT_MS: '1000' });
});
afterAll(() => h?.close());

const call = (tool: string, input: object) => `#fake tool ${tool} ${JSON.stringify(input)}`;

/** Plays the host: waits for the next task request and answers it. */
async function answerNextTask(seen: Set<string>, answer: (request: ReturnType<typeof taskRequestSchema.parse>) => object) {
  const name = await waitFor(() => h.files(ipcFolders.tasks).find((n) => !seen.has(n)));
  seen.add(name);
  const request = taskRequestSchema.parse(await h.readJson(ipcFolders.tasks, name));
  await writeJsonAtomic(join(h.ipcDir, ipcFolders.responses, `${request.requestId}.json`), {
    requestId: request.requestId,
    ...answer(request),
  });
  return request;
}

describe('send_message', () => {
  it('writes a valid message for the host and tells the model it was sent', async () => {
    const turnId = await h.sendTurn(call('send_message', { text: 'working on it' }));
    const result = await h.result(turnId);
    expect(toolResults(result)[0]).toMatchObject({ content: 'sent' });
    const [name] = h.files(ipcFolders.messages);
    const message = outboundMessageSchema.parse(await h.readJson(ipcFolders.messages, name!));
    expect(message).toMatchObject({
      type: 'send_message',
      turnId,
      tenantId: 'tenant-1',
      conversationId: 'conversation-1',
      text: 'working on it',
    });
    expect(name).toMatch(/^\d{15}-\d{6}-.+\.json$/);
  });
});

describe('task tools', () => {
  const seen = new Set<string>();

  it('schedule_task waits for the host answer and hands it to the model', async () => {
    const schedule = { kind: 'interval', value: '1d' };
    const turnId = await h.sendTurn(call('schedule_task', { prompt: 'water the plants', schedule, precheckScript: 'test -f plants' }));
    const request = await answerNextTask(seen, () => ({ ok: true, result: { taskId: 'task-42' } }));
    expect(request).toMatchObject({
      type: 'schedule_task',
      turnId,
      tenantId: 'tenant-1',
      conversationId: 'conversation-1',
      prompt: 'water the plants',
      schedule,
      precheckScript: 'test -f plants',
    });
    const result = await h.result(turnId);
    expect(toolResults(result)[0]).toMatchObject({ content: '{"taskId":"task-42"}' });
    expect(result.finalText).toBe('tool result: {"taskId":"task-42"}');
    expect(h.files(ipcFolders.responses)).toEqual([]);
  });

  it('list_tasks returns the host result; cancel_task returns its refusal as a tool error', async () => {
    const turnId = await h.sendTurn([call('list_tasks', {}), call('cancel_task', { taskId: 'task-7' })].join('\n'));
    const list = await answerNextTask(seen, () => ({ ok: true, result: 'no tasks' }));
    expect(list.type).toBe('list_tasks');
    const cancel = await answerNextTask(seen, () => ({ ok: false, error: 'no such task' }));
    expect(cancel).toMatchObject({ type: 'cancel_task', taskId: 'task-7' });
    const [listed, cancelled] = toolResults(await h.result(turnId));
    expect(listed).toMatchObject({ content: 'no tasks' });
    expect(cancelled).toMatchObject({ is_error: true, content: 'no such task' });
  });

  it('a malformed schedule is a tool error and nothing is sent', async () => {
    const before = h.files(ipcFolders.tasks).length;
    const result = await h.result(await h.sendTurn(call('schedule_task', { prompt: 'p', schedule: { kind: 'once', value: 'tomorrow' } })));
    expect(toolResults(result)[0]).toMatchObject({ is_error: true });
    expect(toolResults(result)[0]!.content).toContain('invalid request');
    expect(h.files(ipcFolders.tasks)).toHaveLength(before);
  });

  it('an answer that never comes is a tool error after the timeout', async () => {
    const result = await h.result(await h.sendTurn(call('list_tasks', {})));
    expect(result.status).toBe('ok');
    expect(toolResults(result)[0]).toMatchObject({ is_error: true, content: 'no answer from the host within 1000 ms' });
  });
});
