import { Cron } from 'croner';

/** A task's schedule as stored: cron read in an IANA zone, an interval counted from its anchor, or one time. */
export type Schedule =
  | { kind: 'cron'; value: string; timezone: string }
  | { kind: 'interval'; value: string; anchor: Date }
  | { kind: 'once'; value: string };

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "30m" → 1,800,000. The format is checked at the boundary (packages/ipc taskScheduleSchema). */
export function intervalMs(value: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(value);
  if (!match) throw new ScheduleError(`"${value}" is not an interval (a number and s, m, h or d)`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A schedule refused, and the part of it at fault: the time zone, or the value (expression, interval, time). */
export class ScheduleError extends Error {
  override name = 'ScheduleError';
  readonly field: 'value' | 'timezone';
  constructor(message: string, field: 'value' | 'timezone' = 'value') {
    super(message);
    this.field = field;
  }
}

function cron(schedule: Extract<Schedule, { kind: 'cron' }>): Cron {
  try {
    return new Cron(schedule.value, { timezone: schedule.timezone, paused: true });
  } catch (err) {
    throw new ScheduleError(`"${schedule.value}" in ${schedule.timezone} is not a usable cron schedule: ${(err as Error).message}`);
  }
}

/**
 * The schedule's first time strictly after `after`, or null when it has none left. Cron times
 * are wall-clock times in the task's zone (croner resolves DST: a time skipped in spring runs at
 * the first instant after the gap, a time repeated in autumn runs once). Interval times are
 * `anchor + k × interval`, so a late or slow run does not shift the ones after it.
 */
export function nextRunAfter(schedule: Schedule, after: Date): Date | null {
  switch (schedule.kind) {
    case 'cron':
      return cron(schedule).nextRun(after);
    case 'interval': {
      const step = intervalMs(schedule.value);
      const k = Math.max(1, Math.floor((after.getTime() - schedule.anchor.getTime()) / step) + 1);
      return new Date(schedule.anchor.getTime() + k * step);
    }
    case 'once': {
      const at = new Date(schedule.value);
      return at.getTime() > after.getTime() ? at : null;
    }
  }
}

/**
 * Checks a schedule a tenant asks for: it must have a time after `now`, and two of its runs may
 * not come closer than `minIntervalMs` (for cron: over its next few runs).
 */
export function checkSchedule(schedule: Schedule, now: Date, minIntervalMs: number): Date {
  if (schedule.kind === 'cron') {
    try {
      Intl.DateTimeFormat('en', { timeZone: schedule.timezone });
    } catch {
      throw new ScheduleError(`"${schedule.timezone}" is not an IANA time zone`, 'timezone');
    }
  }
  const first = nextRunAfter(schedule, now);
  if (!first) throw new ScheduleError('the schedule has no time after now');
  const step =
    schedule.kind === 'interval'
      ? intervalMs(schedule.value)
      : schedule.kind === 'cron'
        ? Math.min(...gaps(cron(schedule).nextRuns(6, now)))
        : Number.POSITIVE_INFINITY;
  if (step < minIntervalMs) throw new ScheduleError(`runs may not come closer than ${minIntervalMs / 1000} s apart`);
  return first;
}

function gaps(times: Date[]): number[] {
  const out = times.slice(1).map((t, i) => t.getTime() - times[i]!.getTime());
  return out.length > 0 ? out : [Number.POSITIVE_INFINITY];
}

export type MissedPolicy = 'skip' | 'run-once';

/** What to do with a run whose job arrived at `now`, and the run after it. */
export interface RunPlan {
  /** Run it (false: record it as missed). */
  fire: boolean;
  missed: boolean;
  next: Date | null;
}

/**
 * A run that starts more than `missedAfterMs` after its time was missed (the workers were down):
 * `skip` records it and runs nothing, `run-once` runs it once now. Either way the next run is the
 * schedule's first time after now, so the other runs missed meanwhile collapse into this one.
 */
export function planRun(schedule: Schedule, policy: MissedPolicy, scheduledFor: Date, now: Date, missedAfterMs: number): RunPlan {
  const missed = now.getTime() - scheduledFor.getTime() > missedAfterMs;
  const after = now.getTime() > scheduledFor.getTime() ? now : scheduledFor;
  return { fire: !missed || policy === 'run-once', missed, next: nextRunAfter(schedule, after) };
}
