import { describe, expect, it } from 'vitest';
import { checkSchedule, nextRunAfter, planRun, type Schedule, ScheduleError } from '../src/schedule.ts';

const runs = (schedule: Schedule, from: string, n: number) => {
  const out: string[] = [];
  let at: Date | null = new Date(from);
  for (let i = 0; i < n && at; i++) {
    at = nextRunAfter(schedule, at);
    if (at) out.push(at.toISOString());
  }
  return out;
};

describe('cron in a time zone', () => {
  const nine: Schedule = { kind: 'cron', value: '0 9 * * *', timezone: 'Europe/Berlin' };

  it('keeps the wall-clock time when the clocks go forward (UTC+1 → UTC+2)', () => {
    expect(runs(nine, '2026-03-27T12:00:00Z', 3)).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it('keeps the wall-clock time when the clocks go back (UTC+2 → UTC+1)', () => {
    expect(runs(nine, '2026-10-23T12:00:00Z', 3)).toEqual([
      '2026-10-24T07:00:00.000Z',
      '2026-10-25T08:00:00.000Z',
      '2026-10-26T08:00:00.000Z',
    ]);
  });

  it('runs a time the spring change skips once, right after the gap, and a repeated autumn time once', () => {
    const twoThirty: Schedule = { kind: 'cron', value: '30 2 * * *', timezone: 'Europe/Berlin' };
    // 2026-03-29 02:30 does not exist in Berlin: 03:00 CEST
    expect(runs(twoThirty, '2026-03-28T12:00:00Z', 2)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 2026-10-25 02:30 happens twice: only the first
    expect(runs(twoThirty, '2026-10-24T12:00:00Z', 2)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('follows another zone’s change date (New York moves on 2026-03-08)', () => {
    const ny: Schedule = { kind: 'cron', value: '0 9 * * *', timezone: 'America/New_York' };
    expect(runs(ny, '2026-03-07T00:00:00Z', 2)).toEqual(['2026-03-07T14:00:00.000Z', '2026-03-08T13:00:00.000Z']);
  });
});

describe('interval', () => {
  const anchor = new Date('2026-01-01T00:00:00Z');
  const every15: Schedule = { kind: 'interval', value: '15m', anchor };

  it('counts from its anchor, not from when a run finished', () => {
    // a run of 00:15 that finished at 00:21:30 is followed by 00:30, not 00:36:30
    expect(nextRunAfter(every15, new Date('2026-01-01T00:21:30Z'))?.toISOString()).toBe('2026-01-01T00:30:00.000Z');
    expect(nextRunAfter(every15, new Date('2026-01-01T00:30:00Z'))?.toISOString()).toBe('2026-01-01T00:45:00.000Z');
  });

  it('first runs one interval after its anchor', () => {
    expect(nextRunAfter(every15, anchor)?.toISOString()).toBe('2026-01-01T00:15:00.000Z');
  });
});

describe('once', () => {
  const once: Schedule = { kind: 'once', value: '2026-05-01T10:00:00+02:00' };
  it('runs at its time and never again', () => {
    expect(nextRunAfter(once, new Date('2026-04-01T00:00:00Z'))?.toISOString()).toBe('2026-05-01T08:00:00.000Z');
    expect(nextRunAfter(once, new Date('2026-05-01T08:00:00Z'))).toBeNull();
  });
});

describe('checkSchedule', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  it('refuses runs closer than the minimum interval, a past time, a bad zone or expression', () => {
    expect(() => checkSchedule({ kind: 'interval', value: '30s', anchor: now }, now, 60_000)).toThrow(ScheduleError);
    expect(() => checkSchedule({ kind: 'cron', value: '* * * * *', timezone: 'UTC' }, now, 300_000)).toThrow(ScheduleError);
    expect(() => checkSchedule({ kind: 'once', value: '2025-01-01T00:00:00Z' }, now, 60_000)).toThrow(/no time after now/);
    expect(() => checkSchedule({ kind: 'cron', value: '0 9 * * *', timezone: 'Mars/Olympus' }, now, 60_000)).toThrow(/time zone/);
    expect(() => checkSchedule({ kind: 'cron', value: 'every day', timezone: 'UTC' }, now, 60_000)).toThrow(ScheduleError);
    expect(checkSchedule({ kind: 'cron', value: '*/5 * * * *', timezone: 'UTC' }, now, 300_000).toISOString()).toBe(
      '2026-01-01T00:05:00.000Z',
    );
  });
});

describe('missed runs after downtime', () => {
  const anchor = new Date('2026-01-01T00:00:00Z');
  const hourly: Schedule = { kind: 'interval', value: '1h', anchor };
  const due = new Date('2026-01-01T03:00:00Z');
  // the workers were down from 02:50 to 07:20: the 03:00 job arrives at 07:20
  const back = new Date('2026-01-01T07:20:00Z');

  it('skip: the late run is recorded as missed, and the next is the first time after the downtime', () => {
    expect(planRun(hourly, 'skip', due, back, 60_000)).toEqual({ fire: false, missed: true, next: new Date('2026-01-01T08:00:00Z') });
  });

  it('run-once: the late run runs once; the other missed ones collapse into it', () => {
    expect(planRun(hourly, 'run-once', due, back, 60_000)).toEqual({ fire: true, missed: true, next: new Date('2026-01-01T08:00:00Z') });
  });

  it('a run on time fires under either policy, and the next follows the schedule', () => {
    const onTime = new Date('2026-01-01T03:00:02Z');
    expect(planRun(hourly, 'skip', due, onTime, 60_000)).toEqual({ fire: true, missed: false, next: new Date('2026-01-01T04:00:00Z') });
  });
});
