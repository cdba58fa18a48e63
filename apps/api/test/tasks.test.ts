import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, OPS_TOKEN, startApiHarness } from './harness.ts';

// The task routes over a real database and queue: what they store, the deferred job each change
// sends, and what they refuse.

let h: ApiHarness;
let t: { id: string; key: string };
let conv: string;

beforeAll(async () => {
  h = await startApiHarness({ DEFAULT_MAX_ACTIVE_TASKS: 3 });
  t = await h.tenant('tasks');
  conv = (await h.call(t.key, 'POST', '/v1/conversations', {})).json().id;
});
afterAll(() => h.close());

const call = (method: string, url: string, body?: unknown) => h.call(t.key, method, url, body);
const daily = { kind: 'cron', value: '0 9 * * *', timezone: 'Europe/Berlin' };

/** The deferred jobs of a task's runs, as pg-boss holds them. */
const jobsOf = async (taskId: string) =>
  (
    await h.db.pool.query(
      `SELECT data->>'scheduledFor' AS "scheduledFor", priority, start_after AS "startAfter" FROM pgboss.job
        WHERE name = 'turn' AND data->>'taskId' = $1 ORDER BY created_on`,
      [taskId],
    )
  ).rows as Array<{ scheduledFor: string; priority: number; startAfter: Date }>;

describe('/v1/tasks', () => {
  it('creates a task with its first run as a deferred job, and reads it back', async () => {
    const res = await call('POST', '/v1/tasks', { conversationId: conv, prompt: 'morning report', schedule: daily });
    expect(res.statusCode).toBe(201);
    const task = res.json();
    expect(task).toMatchObject({ conversationId: conv, status: 'active', context: 'conversation', missedPolicy: 'skip', schedule: daily });
    // 09:00 in Berlin is 07:00 or 08:00 UTC depending on the season
    expect(new Date(task.nextRunAt).getUTCHours()).toBeOneOf([7, 8]);
    expect(await jobsOf(task.id)).toEqual([{ scheduledFor: task.nextRunAt, priority: 10, startAfter: new Date(task.nextRunAt) }]);
    expect((await call('GET', `/v1/tasks/${task.id}`)).json()).toEqual(task);
    expect((await call('GET', `/v1/tasks?conversationId=${conv}`)).json().data.map((x: { id: string }) => x.id)).toContain(task.id);
  });

  it('pause clears the next run; resume sets it again with a new job; patch reschedules; delete cancels', async () => {
    const task = (
      await call('POST', '/v1/tasks', { conversationId: conv, prompt: 'p', schedule: { kind: 'interval', value: '2h' } })
    ).json();
    const paused = (await call('POST', `/v1/tasks/${task.id}/pause`)).json();
    expect(paused).toMatchObject({ status: 'paused', nextRunAt: null });
    const resumed = (await call('POST', `/v1/tasks/${task.id}/resume`)).json();
    expect(resumed.status).toBe('active');
    expect(resumed.nextRunAt).toBe(task.nextRunAt); // anchored to its creation, not to the resume
    const patched = (
      await call('PATCH', `/v1/tasks/${task.id}`, { schedule: { kind: 'interval', value: '5h' }, context: 'isolated' })
    ).json();
    expect(patched).toMatchObject({ context: 'isolated', schedule: { kind: 'interval', value: '5h' } });
    // the resumed run's job is the one still waiting from before the pause (a second send of the same run coalesces into it)
    expect((await jobsOf(task.id)).map((j) => j.scheduledFor)).toEqual([task.nextRunAt, patched.nextRunAt]);
    expect((await call('DELETE', `/v1/tasks/${task.id}`)).json()).toMatchObject({ status: 'cancelled', nextRunAt: null });
    expect((await call('POST', `/v1/tasks/${task.id}/resume`)).statusCode).toBe(409);
  });

  it('run records a run now, and runs lists it', async () => {
    const task = (await call('POST', '/v1/tasks', { conversationId: conv, prompt: 'now', schedule: daily })).json();
    const run = await call('POST', `/v1/tasks/${task.id}/run`);
    expect(run.statusCode).toBe(202);
    const runs = (await call('GET', `/v1/tasks/${task.id}/runs`)).json().data;
    expect(runs).toEqual([expect.objectContaining({ id: run.json().runId, status: 'running', turnId: null, usage: null })]);
    expect((await jobsOf(task.id)).map((j) => j.scheduledFor)).toContain(run.json().scheduledFor);
    await call('DELETE', `/v1/tasks/${task.id}`);
  });

  it.each([
    ['a cron expression that does not parse', { schedule: { kind: 'cron', value: 'daily please' } }, 'schedule.value'],
    ['an unknown time zone', { schedule: { kind: 'cron', value: '0 9 * * *', timezone: 'Mars/Olympus' } }, 'schedule.timezone'],
    ['runs closer than the minimum interval', { schedule: { kind: 'interval', value: '10s' } }, 'schedule.value'],
    ['an interval without a unit', { schedule: { kind: 'interval', value: '10' } }, 'schedule.value'],
    ['a time that has passed', { schedule: { kind: 'once', value: '2020-01-01T00:00:00Z' } }, 'schedule.value'],
    ['a NUL in the prompt', { prompt: 'a\u0000b' }, 'prompt'],
    ['an unknown field', { repeat: true }, null],
  ])('refuses %s with 400, naming the field', async (_what, change, field) => {
    const res = await call('POST', '/v1/tasks', { conversationId: conv, prompt: 'p', schedule: daily, ...change });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (field) expect(res.json().errors).toContainEqual(expect.objectContaining({ path: field }));
  });

  it('counts active tasks against the quota; ops can raise it', async () => {
    const other = await h.tenant('quota');
    const c = (await h.call(other.key, 'POST', '/v1/conversations', {})).json().id;
    const make = () => h.call(other.key, 'POST', '/v1/tasks', { conversationId: c, prompt: 'p', schedule: daily });
    for (let i = 0; i < 3; i++) expect((await make()).statusCode).toBe(201);
    const refused = await make();
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ type: 'urn:warren:problem:task-quota-exceeded', quota: 'maxActiveTasks', limit: 3 });
    expect((await h.call(OPS_TOKEN, 'PATCH', `/v1/admin/tenants/${other.id}`, { maxActiveTasks: 4 })).statusCode).toBe(200);
    await expect.poll(async () => (await make()).statusCode).toBe(201);
  });

  it('answers 404 for a conversation or task that is not there', async () => {
    expect(
      (await call('POST', '/v1/tasks', { conversationId: 'conv_01h00000000000000000000000', prompt: 'p', schedule: daily })).statusCode,
    ).toBe(404);
    expect((await call('GET', '/v1/tasks/task_01h00000000000000000000000')).statusCode).toBe(404);
  });
});
