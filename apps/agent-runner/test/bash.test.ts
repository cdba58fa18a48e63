import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRunning, startHarness, TURN_TOKEN, toolResults, waitFor } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const limits = (overrides: { bashTimeoutMs?: number; toolOutputBytes?: number } = {}) => ({
  limits: { maxIterations: 5, maxTokens: 4096, bashTimeoutMs: 10_000, toolOutputBytes: 16_384, ...overrides },
});

describe('bash tool', () => {
  it('runs in the workspace and returns the output to the model', async () => {
    const result = await h.result(await h.sendTurn('#fake tool bash {"command":"echo hi > out.txt; cat out.txt"}'));
    expect(result.status).toBe('ok');
    expect(readFileSync(join(h.workspace, 'out.txt'), 'utf8')).toBe('hi\n');
    expect(result.finalText).toContain('tool result:');
    expect(result.finalText).toContain('hi');
    expect(toolResults(result)[0]!.content).toBe('hi\n\n[exit code 0]');
  });

  it('interleaves stderr with stdout and reports a failing exit code', async () => {
    const result = await h.result(await h.sendTurn('#fake tool bash {"command":"echo out; echo err >&2; exit 3"}'));
    const [run] = toolResults(result);
    expect(run!.content).toContain('out');
    expect(run!.content).toContain('err');
    expect(run!.content).toContain('[exit code 3]');
  });

  it('does not pass the runner env to commands, nor the turn token', async () => {
    const result = await h.result(await h.sendTurn('#fake tool bash {"command":"env"}'));
    const output = toolResults(result)[0]!.content;
    expect(output).toContain('PATH=/usr/local/bin:/usr/bin:/bin');
    expect(output).toContain('LANG=C.UTF-8');
    expect(output).toContain(`HOME=${h.workspace}`);
    expect(output).not.toContain(TURN_TOKEN);
    expect(output).not.toContain('WARREN_');
  });

  it('kills the whole process group on timeout', async () => {
    const command = 'sleep 300 & echo $! > bg.pid; echo started; wait';
    const result = await h.result(await h.sendTurn(`#fake tool bash ${JSON.stringify({ command })}`, limits({ bashTimeoutMs: 500 })));
    const output = toolResults(result)[0]!.content;
    expect(output).toContain('started');
    expect(output).toContain('timed out after 500 ms');
    const pid = Number(readFileSync(join(h.workspace, 'bg.pid'), 'utf8'));
    await waitFor(() => (isRunning(pid) ? undefined : true));
  });

  it('caps the output and says so', async () => {
    const command = "head -c 5000 /dev/zero | tr '\\0' a";
    const result = await h.result(await h.sendTurn(`#fake tool bash ${JSON.stringify({ command })}`, limits({ toolOutputBytes: 1024 })));
    const output = toolResults(result)[0]!.content;
    expect(output).toContain('a'.repeat(1024));
    expect(output).not.toContain('a'.repeat(1025));
    expect(output).toContain('[output truncated: first 1024 of 5000 bytes shown]');
    expect(output).toContain('[exit code 0]');
  });

  it('does not wait for a background process that keeps the output open', async () => {
    const command = 'sleep 300 & echo bg $! > bg2.pid; echo done';
    const result = await h.result(await h.sendTurn(`#fake tool bash ${JSON.stringify({ command })}`, limits({ bashTimeoutMs: 60_000 })));
    expect(toolResults(result)[0]!.content).toContain('done');
    expect(toolResults(result)[0]!.content).toContain('[exit code 0]');
    const pid = Number(readFileSync(join(h.workspace, 'bg2.pid'), 'utf8').split(' ')[1]);
    process.kill(pid, 'SIGKILL');
  });

  it('rejects a bad input as a tool error', async () => {
    const result = await h.result(await h.sendTurn('#fake tool bash {"cmd":"ls"}'));
    expect(result.status).toBe('ok');
    expect(toolResults(result)[0]).toMatchObject({ is_error: true });
    expect(toolResults(result)[0]!.content).toContain('invalid input');
    expect(existsSync(join(h.workspace, 'ls'))).toBe(false);
  });
});
