import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ipcFolders, TEXT_DELTA_MAX_CHARS } from '@warren/ipc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, TURN_TOKEN, toolResults, waitFor } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

describe('turns', () => {
  it('announces ready before any input', async () => {
    const ready = await waitFor(async () => (await h.events()).find((e) => e.type === 'ready'));
    expect(ready.at).toBeGreaterThan(0);
  });

  it('answers a plain turn, extends the history and deletes the input', async () => {
    const turnId = await h.sendTurn('Hello there', { newMessages: [{ seq: 1, sender: 'alice', content: 'Hello there' }] });
    const result = await h.result(turnId);
    expect(result).toMatchObject({ status: 'ok', finalText: 'echo: alice: Hello there', iterations: 1 });
    expect(result.history).toEqual([
      { role: 'user', content: 'alice: Hello there' },
      { role: 'assistant', content: [{ type: 'text', text: 'echo: alice: Hello there' }] },
    ]);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(h.files(ipcFolders.input)).toEqual([]);

    const request = h.fake.requests.at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${TURN_TOKEN}`);
    expect(request.body).toMatchObject({ model: 'claude-fake-1', max_tokens: 4096, system: 'You are a test agent.' });
    const toolNames = (request.body as { tools: { name: string }[] }).tools.map((t) => t.name);
    expect(toolNames).toEqual([
      'bash',
      'read_file',
      'write_file',
      'list_files',
      'send_message',
      'schedule_task',
      'list_tasks',
      'update_task',
      'pause_task',
      'resume_task',
      'cancel_task',
    ]);
  });

  it('writes turn_started then turn_result, in files whose names sort by time', async () => {
    const turnId = await h.sendTurn('order please');
    await h.result(turnId);
    const names = h.files(ipcFolders.events);
    for (const name of names) expect(name).toMatch(/^\d{15}-\d{6}-(ready|turn_started|text_delta|turn_result)\.json$/);
    const types = (await h.events()).filter((e) => e.type === 'ready' || ('turnId' in e && e.turnId === turnId)).map((e) => e.type);
    expect(types).toEqual(['ready', 'turn_started', ...types.slice(2, -1).map(() => 'text_delta'), 'turn_result']);
  });

  it('reports the answer as it streams in: text deltas in order, none over the cap, together the raw final text, before the result', async () => {
    const turnId = await h.sendTurn('#fake text <internal>aside</internal>\n#fake long 3000');
    const result = await h.result(turnId);
    const events = (await h.events()).filter((e) => 'turnId' in e && e.turnId === turnId);
    const deltas = events.flatMap((e) => (e.type === 'text_delta' ? [e] : []));
    expect(deltas.length).toBeGreaterThanOrEqual(Math.ceil(result.finalText.length / TEXT_DELTA_MAX_CHARS));
    expect(deltas.map((d) => d.index)).toEqual(deltas.map((_, i) => i));
    for (const d of deltas) expect(d.text.length).toBeLessThanOrEqual(TEXT_DELTA_MAX_CHARS);
    expect(deltas.map((d) => d.text).join('')).toBe(result.finalText);
    expect(result.finalText.startsWith('<internal>aside</internal>')).toBe(true);
    expect(events.at(-1)?.type).toBe('turn_result');
  });

  it('formats several new messages one per line', async () => {
    const turnId = await h.sendTurn('', {
      newMessages: [
        { seq: 4, sender: 'alice', content: 'first' },
        { seq: 5, sender: null, content: 'second' },
      ],
    });
    const result = await h.result(turnId);
    expect(result.history[0]).toEqual({ role: 'user', content: 'alice: first\nsecond' });
  });

  it('stays warm: a second turn sees the first one in its history', async () => {
    const first = await h.result(await h.sendTurn('remember the word pelican'));
    const second = await h.result(await h.sendTurn('what was the word?', { history: first.history }));
    expect(second.status).toBe('ok');
    expect(second.history.slice(0, first.history.length)).toEqual(first.history);
    expect(second.history).toHaveLength(first.history.length + 2);
    const sent = (h.fake.requests.at(-1)!.body as { messages: unknown[] }).messages;
    expect(sent.slice(0, first.history.length)).toEqual(first.history);
  });

  it('turns inputs written together into turns in name order', async () => {
    const ids = [await h.sendTurn('one'), await h.sendTurn('two'), await h.sendTurn('three')];
    const results = await Promise.all(ids.map((id) => h.result(id)));
    expect(results.map((r) => r.finalText)).toEqual(['echo: one', 'echo: two', 'echo: three']);
    const started = (await h.events()).filter((e) => e.type === 'turn_started' && ids.includes(e.turnId));
    expect(started.map((e) => (e.type === 'turn_started' ? e.turnId : ''))).toEqual(ids);
  });

  it('fails a turn on a model error, keeps the history, and takes the next turn', async () => {
    const history = [
      { role: 'user' as const, content: 'earlier' },
      { role: 'assistant' as const, content: [{ type: 'text', text: 'echo: earlier' }] },
    ];
    const failed = await h.result(await h.sendTurn('#fake error 500 upstream broke', { history }));
    expect(failed.status).toBe('error');
    expect(failed.error).toContain('500');
    expect(failed.history).toEqual(history);
    expect(failed.finalText).toBe('');

    const next = await h.result(await h.sendTurn('still there?'));
    expect(next).toMatchObject({ status: 'ok', finalText: 'echo: still there?' });
  });

  it('stops at maxIterations with a note, answering the unrun tool calls so the history stays valid', async () => {
    const result = await h.result(
      await h.sendTurn('#fake tool bash {"command":"echo ran > ran.txt"}', {
        limits: { maxIterations: 1, maxTokens: 1024, bashTimeoutMs: 5000, toolOutputBytes: 4096 },
      }),
    );
    expect(result).toMatchObject({ status: 'ok', iterations: 1 });
    expect(result.finalText).toContain('limit of 1 model calls');
    const [unrun] = toolResults(result);
    expect(unrun).toMatchObject({ is_error: true });
    expect(unrun!.content).toContain('not run');
    expect(existsSync(join(h.workspace, 'ran.txt'))).toBe(false);

    const next = await h.result(await h.sendTurn('go on', { history: result.history }));
    expect(next).toMatchObject({ status: 'ok', finalText: 'echo: go on' });
  });

  it('runs several model calls when the model keeps using tools, within the limit', async () => {
    // the second call sees only the tool_result, so the fake then ends the turn
    const result = await h.result(await h.sendTurn('#fake text Let me look.\n#fake tool list_files {}'));
    expect(result).toMatchObject({ status: 'ok', iterations: 2 });
    expect(result.history.map((e) => e.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(result.history[1]).toMatchObject({
      content: [
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', name: 'list_files' },
      ],
    });
  });

  it('gives an unknown tool an error result', async () => {
    const result = await h.result(await h.sendTurn('#fake tool launch_rockets {}'));
    expect(result.status).toBe('ok');
    expect(toolResults(result)[0]).toMatchObject({ is_error: true, content: 'no tool named launch_rockets' });
    expect(result.finalText).toBe('tool error: no tool named launch_rockets');
  });

  it('answers a malformed input with a failed turn when its turn id is readable, skips it otherwise, and goes on', async () => {
    const inputDir = join(h.ipcDir, ipcFolders.input);
    // written whole and renamed into place, as the host does: the runner must not catch them half-written
    const place = async (name: string, text: string) => {
      await writeFile(join(inputDir, `.${name}`), text);
      await rename(join(inputDir, `.${name}`), join(inputDir, name));
    };
    await place('000000000000001-bad-json.json', '{ not json');
    await place('000000000000002-bad-shape.json', JSON.stringify({ type: 'turn', turnId: 'bad-shape-1' }));
    const refused = await h.result('bad-shape-1');
    expect(refused.status).toBe('error');
    expect(refused.error).toContain('invalid turn input');
    expect(refused.history).toEqual([]);

    const next = await h.result(await h.sendTurn('after the bad ones'));
    expect(next.status).toBe('ok');
    expect(h.files(ipcFolders.input)).toEqual([]);
    expect(h.runner.stderr()).toContain('not valid JSON');
  });
});
