import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@warren/core';
import { TEXT_DELTA_INTERVAL_MS, TEXT_DELTA_MAX_CHARS, writeJsonAtomic } from '@warren/ipc';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IpcChannel } from '../src/ipc-channel.ts';
import { TEXT_DELTA_BURST, type TextDelta, TextDeltaGate } from '../src/text-deltas.ts';

// A runner's text deltas on the host: a sandbox that writes them too big or too fast gets
// nothing past the caps, and the host keeps nothing of what it drops.

const tenantId = 'ten_01h2xcejqtf2nbrexx3vqjhp41';
const conversationId = 'conv_01h2xcejqtf2nbrexx3vqjhp41';
let dir: string;
let channel: IpcChannel;
let passed: TextDelta[];
let gate: TextDeltaGate;
let logs: string[];
/** Text deltas the channel has read, passed or not. */
let offered: number;
let onOffered: () => void;
// not vi.waitFor: with fake timers it moves the clock, and the bucket would refill while it waits
const offeredCount = (n: number) =>
  new Promise<void>((resolve) => {
    onOffered = () => offered >= n && resolve();
    onOffered();
  });

const delta = (index: number, text = `chunk ${index} `) => ({ type: 'text_delta', turnId: 'turn_1', index, text });

beforeEach(async () => {
  // the gate's clock stands still unless the test moves it: the flood arrives all at once
  vi.useFakeTimers({ toFake: ['performance'] });
  dir = mkdtempSync(join(tmpdir(), 'warren-deltas-'));
  passed = [];
  logs = [];
  offered = 0;
  onOffered = () => {};
  const logger = createLogger('deltas-test', { level: 'debug' }, new Writable({ write: (c, _e, done) => done(void logs.push(String(c))) }));
  gate = new TextDeltaGate((d) => passed.push(d), logger);
  channel = new IpcChannel({
    ipcDir: dir,
    tenantId,
    conversationId,
    logger,
    handlers: {
      onEvent: (e) => {
        if (e.type !== 'text_delta') return;
        gate.offer({ index: e.index, text: e.text });
        offered += 1;
        onOffered();
      },
      onMessage: () => {},
      onTaskRequest: () => {},
    },
  });
  await channel.open();
});
afterEach(async () => {
  await channel.close();
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const eventsLeft = () => readdirSync(join(dir, 'events')).filter((n) => !n.startsWith('.')).length;

describe('text deltas from a sandbox', () => {
  it('refuses a delta larger than the cap; one at the cap passes', async () => {
    await writeJsonAtomic(join(dir, 'events', '001.json'), delta(0, 'x'.repeat(TEXT_DELTA_MAX_CHARS + 1)));
    await writeJsonAtomic(join(dir, 'events', '002.json'), delta(1, 'y'.repeat(TEXT_DELTA_MAX_CHARS)));
    await offeredCount(1);
    await vi.waitFor(() => expect(eventsLeft()).toBe(0));
    expect(passed).toEqual([{ index: 1, text: 'y'.repeat(TEXT_DELTA_MAX_CHARS) }]);
    const refused = readdirSync(join(dir, 'errors')).map((f) => JSON.parse(readFileSync(join(dir, 'errors', f), 'utf8')));
    expect(refused).toEqual([expect.objectContaining({ file: '001.json', reason: expect.stringContaining('text') })]);
  });

  it('passes a flood only up to the burst, in order, logs the drops within its log budget, and lets more through as time passes', async () => {
    const flood = 500;
    for (let i = 0; i < flood; i++) await writeJsonAtomic(join(dir, 'events', `${String(i).padStart(4, '0')}.json`), delta(i));
    await offeredCount(flood);
    expect(passed.map((d) => d.index)).toEqual([...Array(TEXT_DELTA_BURST).keys()]);
    const dropLines = logs.filter((l) => l.includes('text delta dropped'));
    expect(dropLines.length).toBeLessThanOrEqual(20);
    gate.flush();
    expect(logs.at(-1)).toContain(`"text delta dropped":${flood - TEXT_DELTA_BURST - dropLines.length}`);

    // a replayed or older index is dropped whatever the rate; the next new one passes once the bucket refills
    vi.advanceTimersByTime(TEXT_DELTA_INTERVAL_MS);
    gate.offer({ index: 3, text: 'again' });
    gate.offer({ index: flood, text: 'later' });
    expect(passed.slice(TEXT_DELTA_BURST)).toEqual([{ index: flood, text: 'later' }]);
  });
});
