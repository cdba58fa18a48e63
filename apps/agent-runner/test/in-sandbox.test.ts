import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTenant } from '@warren/db';
import { type OutboundMessage, sandboxPaths } from '@warren/ipc';
import { BwrapDriver, SandboxCapacityError, SandboxPool, type SandboxPoolOptions } from '@warren/sandbox';
import { provisionTenant } from '@warren/tenancy';
import { type ModelStack, TEST_PLATFORM_KEY as PLATFORM_KEY, startModelStack } from '@warren/testkit';
import { commitTurn } from '@warren/turns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareRunner, type RunnerLaunch } from '../src/launch.ts';
import { inputFor, turnInput } from './sandbox-harness.ts';

// The runner in real bubblewrap sandboxes managed by SandboxPool, talking to the fake Messages
// API through the real credential proxy.

let stack: ModelStack;
let runner: RunnerLaunch;
let tenantId: string;
const pools: SandboxPool[] = [];
const conv = (n: number) => `conv_01h2xcejqtf2nbrexx3vqjhp${String(n).padStart(2, '0')}`;

function pool(overrides: Partial<SandboxPoolOptions> = {}): SandboxPool {
  const p = new SandboxPool({
    driver: new BwrapDriver(),
    root: join(stack.dir, 'sandboxes'),
    proxySocket: stack.proxySocket,
    runner,
    limits: { memoryBytes: 512 * 1024 * 1024, pids: 256 },
    logger: stack.logger,
    ...overrides,
  });
  pools.push(p);
  return p;
}

const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return check();
};

beforeAll(async () => {
  stack = await startModelStack();
  tenantId = (await provisionTenant(stack.db.pool, { name: 'sandboxed' })).tenant.id;
  runner = await prepareRunner(join(stack.dir, 'runner-build'));
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.closeAll()));
  await stack.close();
});

describe('a turn in a bubblewrap sandbox', () => {
  it('runs bash inside the sandbox on the model’s request and returns its output to the model', async () => {
    const p = pool();
    const sandbox = await p.acquire(tenantId, conv(1));
    stack.fake.reset();
    const outcome = await sandbox.runTurn(
      await turnInput(stack, tenantId, conv(1), '#fake tool bash {"command":"echo made-in-the-sandbox > proof.txt; id -u; cat proof.txt"}'),
    );
    p.release(sandbox);
    expect(outcome.status).toBe('ok');
    expect(outcome.finalText).toContain('tool result');
    expect(outcome.finalText).toContain('made-in-the-sandbox');
    expect(outcome.finalText).toContain('65534');
    // the workspace is the conversation's folder on the host
    const proof = join(stack.dir, 'sandboxes', tenantId, conv(1), 'workspace', 'proof.txt');
    expect(readFileSync(proof, 'utf8')).toBe('made-in-the-sandbox\n');
    // two model calls went through the proxy, with the platform key, never the sandbox's token
    expect(stack.fake.requests).toHaveLength(2);
    for (const r of stack.fake.requests) {
      expect(r.headers['x-api-key']).toBe(PLATFORM_KEY);
      expect(JSON.stringify(r.headers)).not.toContain('wtt1.');
    }
    const toolResult = JSON.stringify(stack.fake.requests[1]!.body);
    expect(toolResult).toContain('made-in-the-sandbox');
  });

  it('takes a second turn in the same warm sandbox without a restart', async () => {
    const p = pool();
    const first = await p.acquire(tenantId, conv(2));
    const one = await first.runTurn(await turnInput(stack, tenantId, conv(2), 'first'));
    p.release(first);
    const second = await p.acquire(tenantId, conv(2));
    expect(second).toBe(first);
    expect(second.process.pid).toBe(first.process.pid);
    const two = await second.runTurn(await turnInput(stack, tenantId, conv(2), 'second', one.history));
    p.release(second);
    expect(two.finalText).toContain('echo: second');
    expect(two.history.length).toBe(one.history.length + 2);
  });

  it('delivers send_message to the turn, authorised for this conversation', async () => {
    const p = pool();
    const sandbox = await p.acquire(tenantId, conv(3));
    const messages: OutboundMessage[] = [];
    const outcome = await sandbox.runTurn(await turnInput(stack, tenantId, conv(3), '#fake tool send_message {"text":"working on it"}'), {
      onMessage: async (m) => void messages.push(m),
    });
    p.release(sandbox);
    expect(outcome.status).toBe('ok');
    expect(messages).toEqual([expect.objectContaining({ text: 'working on it', tenantId: tenantId, conversationId: conv(3) })]);
  });

  it.runIf(process.getuid?.() === 0)(
    'gives a new sandbox the tenant’s own limits; a write past its workspace quota is a clear ENOSPC in the tool result',
    async () => {
      const p = pool();
      const sandbox = await p.acquire(tenantId, conv(30), { workspaceBytes: 48 * 1024 * 1024, cpuPercent: 50, memoryBytes: undefined });
      expect(sandbox.process.appliedLimits).toMatchObject({ memory: true, cpu: true, workspace: true });
      const outcome = await sandbox.runTurn(
        await turnInput(stack, tenantId, conv(30), '#fake tool bash {"command":"head -c 100M /dev/zero > big; echo exit=$?"}'),
      );
      p.release(sandbox);
      expect(outcome.status).toBe('ok');
      expect(outcome.finalText).toContain('No space left on device');
      expect(outcome.finalText).toContain('exit=1');
    },
  );

  it.runIf(process.getuid?.() === 0)(
    'shows none of its conversation’s host folders in /proc/self/mountinfo, and leaves no mount behind',
    async () => {
      const p = pool();
      const sandbox = await p.acquire(tenantId, conv(31), { workspaceBytes: 48 * 1024 * 1024 });
      const outcome = await sandbox.runTurn(
        await turnInput(stack, tenantId, conv(31), '#fake tool bash {"command":"cat /proc/self/mountinfo"}'),
      );
      expect(outcome.finalText).toMatch(/ \/ \/workspace .* ext4 \/dev\/loop\d+ /);
      expect(outcome.finalText).toMatch(/ \/ \/ipc .* tmpfs warren-ipc /);
      expect(outcome.finalText).not.toContain(tenantId);
      expect(outcome.finalText).not.toContain(conv(31));
      await p.closeAll();
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(conv(31));
    },
  );

  it('ends a turn only after every output is handled, one at a time in the agent order', async () => {
    const p = pool();
    const sandbox = await p.acquire(tenantId, conv(20));
    const sends = Array.from({ length: 6 }, (_, n) => `#fake tool send_message {"text":"part ${n}"}`).join('\n');
    const handled: string[] = [];
    let inFlight = 0;
    const outcome = await sandbox.runTurn(await turnInput(stack, tenantId, conv(20), sends), {
      // slower for the earlier ones: handled concurrently, they would finish out of order
      onMessage: async (m) => {
        expect(++inFlight).toBe(1);
        await new Promise((r) => setTimeout(r, 300 - m.seq * 50));
        handled.push(m.text);
        inFlight -= 1;
      },
    });
    p.release(sandbox);
    expect(outcome).toMatchObject({ status: 'ok', outputs: 6 });
    expect(handled).toEqual(['part 0', 'part 1', 'part 2', 'part 3', 'part 4', 'part 5']);
  });

  it('fails the turn when an output cannot be handled, instead of dropping it', async () => {
    const p = pool();
    const sandbox = await p.acquire(tenantId, conv(21));
    const sends = ['one', 'two'].map((text) => `#fake tool send_message {"text":"${text}"}`).join('\n');
    const turn = sandbox.runTurn(await turnInput(stack, tenantId, conv(21), sends), {
      onMessage: async (m) => {
        if (m.text === 'two') throw new Error('database write failed');
      },
    });
    await expect(turn).rejects.toThrow('database write failed');
    p.release(sandbox);
  });
});

describe('model access from inside a sandbox', () => {
  it('leaves no credential in the environment of any process in the sandbox', async () => {
    const p = pool();
    const sandbox = await p.acquire(tenantId, conv(4));
    const outcome = await sandbox.runTurn(
      await turnInput(
        stack,
        tenantId,
        conv(4),
        `#fake tool bash ${JSON.stringify({ command: "cat /proc/[0-9]*/environ | tr '\\0' '\\n'" })}`,
      ),
    );
    p.release(sandbox);
    expect(outcome.finalText).toContain('PATH='); // the environments were read
    expect(outcome.finalText).not.toMatch(/WARREN_SANDBOX_TOKEN|wst1\.|wtt1\./);
  });

  it('refuses a process left running by a turn, even one holding that turn’s token, once the turn ended', async () => {
    const p = pool();
    const sandbox = await p.acquire(tenantId, conv(5));
    // A loop calling the proxy with the token it is given, logging each status: started by the
    // agent with setsid, it outlives the bash call and the turn.
    writeFileSync(
      join(stack.dir, 'sandboxes', tenantId, conv(5), 'workspace', 'loop.mjs'),
      `import { request } from 'node:http';
      import { appendFileSync } from 'node:fs';
      const body = JSON.stringify({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'leftover-loop' }] });
      for (;;) {
        const status = await new Promise((resolve) => {
          const req = request({ socketPath: ${JSON.stringify(sandboxPaths.proxySocket)}, method: 'POST', path: '/v1/messages',
            headers: { 'x-api-key': process.argv[2], 'content-type': 'application/json' } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
          req.on('error', (err) => resolve(err.code));
          req.end(body);
        });
        appendFileSync('/workspace/calls.log', status + '\\n');
        await new Promise((r) => setTimeout(r, 20));
      }`,
      { mode: 0o644 },
    );
    const { turn, token } = await stack.startTurn(tenantId, sandbox.sandboxId);
    const loop = `setsid nohup ${process.execPath} /workspace/loop.mjs ${token} >/dev/null 2>&1 & until grep -q 200 /workspace/calls.log 2>/dev/null; do sleep 0.05; done; echo served`;
    const outcome = await sandbox.runTurn(
      inputFor({ turnId: turn.turnId, token }, tenantId, conv(5), `#fake tool bash ${JSON.stringify({ command: loop })}`),
    );
    p.release(sandbox);
    expect(outcome.finalText).toContain('served'); // during its turn the loop reached the model
    await withTenant(stack.db.pool, tenantId, (tx) =>
      commitTurn(tx, turn, { finalText: outcome.finalText, finalOutSeq: 0, history: outcome.history }),
    );

    const log = () =>
      readFileSync(join(stack.dir, 'sandboxes', tenantId, conv(5), 'workspace', 'calls.log'), 'utf8')
        .trim()
        .split('\n');
    const servedToLoop = () => stack.fake.requests.filter((r) => JSON.stringify(r.body).includes('leftover-loop')).length;
    // calls are sequential: once one is refused, every call admitted before the commit is done
    expect(await until(() => log().includes('403'))).toBe(true);
    const served = servedToLoop();
    const refusedAt = log().length;
    expect(await until(() => log().length >= refusedAt + 5)).toBe(true);
    expect(log().slice(refusedAt - 1)).toEqual(Array(log().length - refusedAt + 1).fill('403'));
    expect(servedToLoop()).toBe(served);
  });
});

describe('SandboxPool lifecycle', () => {
  it.runIf(process.getuid?.() === 0)(
    'starts a conversation whose workspace a dead worker left mounted and frozen mid-snapshot',
    async () => {
      const root = join(stack.dir, 'frozen-host');
      const quota = { workspaceBytes: 48 * 1024 * 1024 };
      const before = pool({ root });
      await before.close(await before.acquire(tenantId, conv(40), quota), 'test');
      // as a worker SIGKILLed while it copied the image: still mounted on the host, and frozen
      const workspace = join(root, tenantId, conv(40), 'workspace');
      execFileSync('/usr/bin/mount', ['-t', 'ext4', '-o', 'loop', `${workspace}.ext4`, workspace]);
      execFileSync('/usr/sbin/fsfreeze', ['-f', workspace]);
      const after = pool({ root });
      const sandbox = await after.acquire(tenantId, conv(40), quota); // touching the frozen folder first blocked here for good
      expect(sandbox.alive).toBe(true);
    },
  );

  it('closes a sandbox after its idle timeout', async () => {
    const p = pool({ idleTimeoutMs: 200 });
    const sandbox = await p.acquire(tenantId, conv(10));
    p.release(sandbox);
    expect(await until(() => !sandbox.alive)).toBe(true);
    expect(p.size).toBe(0);
  });

  it('closes the least recently used idle sandbox at the global cap', async () => {
    const p = pool({ maxSandboxes: 2 });
    const a = await p.acquire(tenantId, conv(11));
    p.release(a);
    const b = await p.acquire(tenantId, conv(12));
    p.release(b);
    p.release(await p.acquire(tenantId, conv(11))); // a is now more recent than b
    const c = await p.acquire(tenantId, conv(13));
    expect(b.alive).toBe(false);
    expect(a.alive).toBe(true);
    expect(
      p
        .list()
        .map((s) => s.conversationId)
        .sort(),
    ).toEqual([conv(11), conv(13)]);
    p.release(c);
  });

  it('holds the per-tenant cap, and refuses when every sandbox is busy', async () => {
    const p = pool({ maxPerTenant: 1 });
    const a = await p.acquire(tenantId, conv(14));
    const busy = a.runTurn(await turnInput(stack, tenantId, conv(14), '#fake sleep 1500'));
    await expect(p.acquire(tenantId, conv(15))).rejects.toBeInstanceOf(SandboxCapacityError);
    await busy;
    p.release(a);
    const b = await p.acquire(tenantId, conv(15));
    expect(a.alive).toBe(false);
    expect(b.alive).toBe(true);
    p.release(b);
  });

  it('notices a crashed sandbox and starts a new one at the next turn', async () => {
    const p = pool();
    const first = await p.acquire(tenantId, conv(16));
    first.process.kill('SIGKILL');
    expect(await until(() => !first.alive)).toBe(true);
    await expect(first.runTurn(await turnInput(stack, tenantId, conv(16), 'x'))).rejects.toThrow(/not running/);
    const second = await p.acquire(tenantId, conv(16));
    expect(second).not.toBe(first);
    const outcome = await second.runTurn(await turnInput(stack, tenantId, conv(16), 'after the crash'));
    expect(outcome.finalText).toContain('echo: after the crash');
    p.release(second);
  });

  it('fails a turn whose sandbox dies mid-turn, and aborts on signal', async () => {
    const p = pool();
    const sandbox = await p.acquire(tenantId, conv(17));
    const running = sandbox.runTurn(await turnInput(stack, tenantId, conv(17), '#fake sleep 3000'));
    setTimeout(() => sandbox.process.kill('SIGKILL'), 200);
    await expect(running).rejects.toThrow(/exited/);

    const again = await p.acquire(tenantId, conv(17));
    const controller = new AbortController();
    const aborted = again.runTurn(await turnInput(stack, tenantId, conv(17), '#fake sleep 3000'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await expect(aborted).rejects.toThrow(/aborted/);
    expect(await until(() => !again.alive)).toBe(true);
  });

  it('closes everything on shutdown', async () => {
    const p = pool();
    const sandboxes = await Promise.all([p.acquire(tenantId, conv(18)), p.acquire(tenantId, conv(19))]);
    await p.closeAll();
    expect(sandboxes.every((s) => !s.alive)).toBe(true);
    expect(p.size).toBe(0);
  });
});
