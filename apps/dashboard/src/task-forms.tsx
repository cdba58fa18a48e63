import { useState } from 'react';
import { ApiError, type Conversation, type NewTask, type Task, type TaskChange } from './api.ts';
import { FormActions, fieldErrors } from './field-errors.tsx';
import { when } from './states.tsx';

type Kind = Task['schedule']['kind'];
type Schedule = NewTask['schedule'];

const UNITS = { s: 'second', m: 'minute', h: 'hour', d: 'day' } as const;
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function intervalWords(value: string): string {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (!match) return `every ${value}`;
  const unit = UNITS[match[2] as keyof typeof UNITS];
  return match[1] === '1' ? `every ${unit}` : `every ${Number(match[1])} ${unit}s`;
}

/** The common cron shapes in words ("weekdays at 09:00"); null for the others, shown as written. */
function cronWords(value: string): string | null {
  const [minute, hour, dom, month, dow, ...more] = value.trim().split(/\s+/);
  if (more.length > 0 || dom !== '*' || month !== '*' || !minute || !hour || !dow) return null;
  const step = /^\*\/(\d+)$/.exec(minute);
  if (step && hour === '*' && dow === '*') return `every ${step[1]} minutes`;
  if (!/^\d+$/.test(minute)) return null;
  if (hour === '*' && dow === '*') return `hourly at :${minute.padStart(2, '0')}`;
  if (!/^\d+$/.test(hour)) return null;
  const time = `at ${hour.padStart(2, '0')}:${minute.padStart(2, '0')}`;
  if (dow === '*') return `daily ${time}`;
  if (dow === '1-5') return `weekdays ${time}`;
  if (/^[0-7](,[0-7])*$/.test(dow))
    return `${dow
      .split(',')
      .map((d) => DAYS[Number(d)])
      .join(', ')} ${time}`;
  return null;
}

/** A schedule in words, cron ones with the zone they are read in. */
export function scheduleText(schedule: Task['schedule']): string {
  if (schedule.kind === 'interval') return intervalWords(schedule.value);
  if (schedule.kind === 'once') return `once, ${when(schedule.value)}`;
  return `${cronWords(schedule.value) ?? `cron ${schedule.value}`} (${schedule.timezone ?? 'UTC'})`;
}

export function TaskStatus({ task }: { task: Task }) {
  return <span className={`badge ${task.status}`}>{task.status}</span>;
}

export const excerpt = (text: string, length = 80) => (text.length > length ? `${text.slice(0, length)}…` : text);

/** What the form edits, as its inputs hold it (a `once` time as a datetime-local value in the browser's zone). */
export interface TaskFields {
  conversationId: string;
  prompt: string;
  kind: Kind;
  value: string;
  timezone: string;
  precheckScript: string;
  context: Task['context'];
  missedPolicy: Task['missedPolicy'];
}

const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** An ISO time as a datetime-local input's value, in the browser's zone. */
const localInput = (iso: string) => {
  const at = new Date(iso);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export const newTaskFields = (conversationId: string): TaskFields => ({
  conversationId,
  prompt: '',
  kind: 'interval',
  value: '',
  timezone: browserZone,
  precheckScript: '',
  context: 'conversation',
  missedPolicy: 'skip',
});

export const taskFields = (task: Task): TaskFields => ({
  conversationId: task.conversationId,
  prompt: task.prompt,
  kind: task.schedule.kind,
  value: task.schedule.kind === 'once' ? localInput(task.schedule.value) : task.schedule.value,
  timezone: task.schedule.timezone ?? browserZone,
  precheckScript: task.precheckScript ?? '',
  context: task.context,
  missedPolicy: task.missedPolicy,
});

function scheduleOf(f: TaskFields): Schedule {
  if (f.kind === 'cron') return { kind: 'cron', value: f.value, timezone: f.timezone };
  if (f.kind === 'once') return { kind: 'once', value: new Date(f.value).toISOString() };
  return { kind: 'interval', value: f.value };
}

export const newTask = (f: TaskFields): NewTask => ({
  conversationId: f.conversationId.trim(),
  prompt: f.prompt,
  schedule: scheduleOf(f),
  ...(f.precheckScript ? { precheckScript: f.precheckScript } : {}),
  context: f.context,
  missedPolicy: f.missedPolicy,
});

/** Only what was changed: an unchanged schedule sent again would start it afresh from now. */
export function taskChange(before: TaskFields, after: TaskFields): TaskChange {
  const change: TaskChange = {};
  if (after.prompt !== before.prompt) change.prompt = after.prompt;
  if (JSON.stringify(scheduleOf(after)) !== JSON.stringify(scheduleOf(before))) change.schedule = scheduleOf(after);
  if (after.precheckScript !== before.precheckScript) change.precheckScript = after.precheckScript || null;
  if (after.context !== before.context) change.context = after.context;
  if (after.missedPolicy !== before.missedPolicy) change.missedPolicy = after.missedPolicy;
  return change;
}

const valueInput: Record<Kind, { label: string; hint: string; placeholder: string }> = {
  interval: { label: 'Interval', hint: 'A number and s, m, h or d, counted from creation or the last reschedule.', placeholder: '30m' },
  cron: { label: 'Cron expression', hint: 'Five or six fields: minute hour day-of-month month day-of-week.', placeholder: '0 9 * * 1-5' },
  once: { label: 'Run at', hint: `In your browser's time zone (${browserZone}).`, placeholder: '' },
};

/** The API's field paths, by the form's field names. */
const apiPaths: Record<string, string[]> = {
  conversationId: ['conversationId'],
  prompt: ['prompt'],
  kind: ['schedule', 'schedule.kind'],
  value: ['schedule.value'],
  timezone: ['schedule.timezone'],
  precheckScript: ['precheckScript'],
  context: ['context'],
  missedPolicy: ['missedPolicy'],
};

/**
 * The fields a task is created or changed with (its conversation only at creation). The API's
 * refusals show at their field: validation errors by path, an unknown conversation (404) at the
 * conversation.
 */
export function TaskForm({
  idPrefix,
  initial,
  conversations,
  error,
  pending,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  idPrefix: string;
  initial: TaskFields;
  /** Choices for the conversation field; without them the conversation is fixed. */
  conversations?: Conversation[];
  error: unknown;
  pending: boolean;
  submitLabel: string;
  onSubmit: (fields: TaskFields) => void;
  onCancel?: () => void;
}) {
  const [fields, setFields] = useState(initial);
  const set = (change: Partial<TaskFields>) => setFields({ ...fields, ...change });
  const refused = error instanceof ApiError ? error : null;
  const errorAt = Object.fromEntries(
    Object.entries(apiPaths).map(([name, paths]) => [name, paths.map((p) => refused?.fields[p]).find(Boolean)]),
  );
  if (conversations && refused?.problem === 'not-found') errorAt.conversationId = refused.message;
  const at = fieldErrors(idPrefix, errorAt);
  const id = (name: string) => `${idPrefix}-${name}`;
  const input = valueInput[fields.kind];
  return (
    <form
      className="task-form"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(fields);
      }}
    >
      {conversations ? (
        <div className="field">
          <label htmlFor={id('conversationId')}>Conversation</label>
          <input
            id={id('conversationId')}
            required
            list={id('conversations')}
            placeholder="conv_…"
            value={fields.conversationId}
            onChange={(e) => set({ conversationId: e.target.value })}
            aria-describedby={at.describedBy('conversationId', id('conversationId-hint'))}
            aria-invalid={at.invalid('conversationId')}
          />
          <datalist id={id('conversations')}>
            {conversations.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title || c.externalId || c.id}
              </option>
            ))}
          </datalist>
          <span id={id('conversationId-hint')} className="hint">
            Choose one, or paste its id. The task's runs are turns of this conversation.
          </span>
          {at.message('conversationId')}
        </div>
      ) : null}
      <div className="field">
        <label htmlFor={id('prompt')}>Prompt</label>
        <textarea
          id={id('prompt')}
          required
          rows={3}
          maxLength={20_000}
          value={fields.prompt}
          onChange={(e) => set({ prompt: e.target.value })}
          aria-describedby={at.describedBy('prompt')}
          aria-invalid={at.invalid('prompt')}
        />
        {at.message('prompt')}
      </div>
      <fieldset>
        <legend>Schedule</legend>
        <div className="field">
          <label htmlFor={id('kind')}>Schedule kind</label>
          <select
            id={id('kind')}
            value={fields.kind}
            onChange={(e) => set({ kind: e.target.value as Kind, value: '' })}
            aria-describedby={at.describedBy('kind')}
            aria-invalid={at.invalid('kind')}
          >
            <option value="interval">every interval</option>
            <option value="cron">cron</option>
            <option value="once">once</option>
          </select>
          {at.message('kind')}
        </div>
        <div className="field">
          <label htmlFor={id('value')}>{input.label}</label>
          <input
            id={id('value')}
            required
            type={fields.kind === 'once' ? 'datetime-local' : 'text'}
            maxLength={100}
            placeholder={input.placeholder || undefined}
            value={fields.value}
            onChange={(e) => set({ value: e.target.value })}
            aria-describedby={at.describedBy('value', id('value-hint'))}
            aria-invalid={at.invalid('value')}
          />
          <span id={id('value-hint')} className="hint">
            {input.hint}
          </span>
          {at.message('value')}
        </div>
        {fields.kind === 'cron' ? (
          <div className="field">
            <label htmlFor={id('timezone')}>Time zone</label>
            <input
              id={id('timezone')}
              required
              list={id('zones')}
              maxLength={64}
              value={fields.timezone}
              onChange={(e) => set({ timezone: e.target.value })}
              aria-describedby={at.describedBy('timezone', id('timezone-hint'))}
              aria-invalid={at.invalid('timezone')}
            />
            <datalist id={id('zones')}>
              {Intl.supportedValuesOf('timeZone').map((zone) => (
                <option key={zone} value={zone} />
              ))}
            </datalist>
            <span id={id('timezone-hint')} className="hint">
              An IANA zone; the expression is read in it, daylight saving included.
            </span>
            {at.message('timezone')}
          </div>
        ) : null}
      </fieldset>
      <div className="field">
        <label htmlFor={id('precheckScript')}>Pre-check script (optional)</label>
        <textarea
          id={id('precheckScript')}
          rows={3}
          maxLength={20_000}
          className="script"
          value={fields.precheckScript}
          onChange={(e) => set({ precheckScript: e.target.value })}
          aria-describedby={at.describedBy('precheckScript', id('precheckScript-hint'))}
          aria-invalid={at.invalid('precheckScript')}
        />
        <span id={id('precheckScript-hint')} className="hint">
          Bash run in the conversation's sandbox before each run; only a last output line {'{"wakeAgent": true, "data": …}'} runs the turn.
        </span>
        {at.message('precheckScript')}
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor={id('context')}>Context</label>
          <select
            id={id('context')}
            value={fields.context}
            onChange={(e) => set({ context: e.target.value as TaskFields['context'] })}
            aria-describedby={at.describedBy('context')}
            aria-invalid={at.invalid('context')}
          >
            <option value="conversation">the conversation's history</option>
            <option value="isolated">isolated: fresh history</option>
          </select>
          {at.message('context')}
        </div>
        <div className="field">
          <label htmlFor={id('missedPolicy')}>Missed runs</label>
          <select
            id={id('missedPolicy')}
            value={fields.missedPolicy}
            onChange={(e) => set({ missedPolicy: e.target.value as TaskFields['missedPolicy'] })}
            aria-describedby={at.describedBy('missedPolicy')}
            aria-invalid={at.invalid('missedPolicy')}
          >
            <option value="skip">skip them</option>
            <option value="run-once">run once</option>
          </select>
          {at.message('missedPolicy')}
        </div>
      </div>
      <FormActions submitLabel={submitLabel} pending={pending} onCancel={onCancel} error={error} atAField={at.atAField} />
    </form>
  );
}
