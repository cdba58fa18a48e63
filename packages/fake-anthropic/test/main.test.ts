import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ask, clientFor } from './harness.ts';

const mainPath = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [mainPath], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('main.ts', () => {
  it('prints its URL, serves, and stops on SIGTERM', async () => {
    const run = start({ PORT: '0', FAKE_ANTHROPIC_API_KEY: 'main-key' });
    let url: string | undefined;
    while (!url) {
      const match = /listening on (http:\S+)/.exec(run.output().stdout);
      if (match) url = match[1];
      else if (run.child.exitCode !== null) throw new Error(`main exited: ${run.output().stderr}`);
      else await new Promise((r) => setTimeout(r, 20));
    }
    const message = await clientFor({ url }, { apiKey: 'main-key' }).messages.create(ask('from main'));
    expect(message.content).toMatchObject([{ text: 'echo: from main' }]);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });

  it('refuses a bad configuration, naming the variable', async () => {
    const run = start({ PORT: 'not-a-port' });
    expect(await run.exited).toBe(78);
    expect(run.output().stderr).toContain('PORT');
  });
});
