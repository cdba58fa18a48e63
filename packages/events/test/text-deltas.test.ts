import { ChangeListener, createPool } from '@warren/db';
import { captureLogs, createTestDatabase, type TestDatabase } from '@warren/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DELTAS_CHANNEL, parseTextDelta, type TextDelta, TextDeltaPublisher } from '../src/index.ts';

// The worker's side of message.delta, against a real Postgres: what a turn publishes arrives in
// order, what piles up is dropped rather than kept, and a failing publish only logs.

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const scope = {
  tenantId: 'ten_01h2xcejqtf2nbrexx3vqjhp41',
  conversationId: 'conv_01h2xcejqtf2nbrexx3vqjhp41',
  turnId: 'turn_01h2xcejqtf2nbrexx3vqjhp41',
  attempt: 1,
};

async function listening(): Promise<{ heard: TextDelta[]; close(): Promise<void> }> {
  const heard: TextDelta[] = [];
  const listener = new ChangeListener(DELTAS_CHANNEL, (payload) => {
    const delta = payload === undefined ? null : parseTextDelta(payload);
    if (delta) heard.push(delta);
  });
  await listener.listen(db.pool);
  return { heard, close: () => listener.close() };
}

describe('TextDeltaPublisher', () => {
  it('publishes in order, keeps at most 16 waiting and drops the rest, and drops a payload NOTIFY would refuse', async () => {
    const { heard, close } = await listening();
    const { logger, records } = captureLogs();
    const publisher = new TextDeltaPublisher(db.pool, logger);
    for (let index = 0; index < 100; index++) publisher.publish({ ...scope, index, text: `chunk ${index} ` });
    publisher.publish({ ...scope, index: 100, text: '\u0001'.repeat(1400) }); // 8400 bytes as JSON
    await publisher.idle();
    await vi.waitFor(() => expect(heard).toHaveLength(16));
    expect(heard.map((d) => d.index)).toEqual([...Array(16).keys()]);
    expect(heard[3]).toEqual({ ...scope, index: 3, text: 'chunk 3 ' });
    expect(records).toContainEqual(expect.objectContaining({ dropped: 85, msg: expect.stringContaining('dropped') }));

    publisher.publish({ ...scope, index: 101, text: 'after the queue emptied' });
    await publisher.idle();
    await vi.waitFor(() => expect(heard.at(-1)?.index).toBe(101));
    await close();
  });

  it('logs a failed publish with its error and resolves: the turn goes on', async () => {
    const { logger, records } = captureLogs();
    const unreachable = createPool('postgres://warren@127.0.0.1:1/none', { max: 1, logger });
    const publisher = new TextDeltaPublisher(unreachable, logger);
    publisher.publish({ ...scope, index: 0, text: 'lost' });
    await publisher.idle();
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: 'text delta not published; the turn goes on',
        index: 0,
        err: expect.objectContaining({ code: 'ECONNREFUSED' }),
      }),
    );
    await unreachable.end();
  });

  it('parses only well-formed deltas', () => {
    expect(parseTextDelta(JSON.stringify({ ...scope, index: 0, text: 'hi' }))).toEqual({ ...scope, index: 0, text: 'hi' });
    for (const junk of [
      'not json',
      '{}',
      JSON.stringify({ ...scope, index: -1, text: 'x' }),
      JSON.stringify({ ...scope, index: 0, text: '' }),
    ]) {
      expect(parseTextDelta(junk)).toBeNull();
    }
  });
});
