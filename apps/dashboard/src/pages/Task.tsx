import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api, type Conversation, type Task, type TaskRun, type TaskRunStarted } from '../api.ts';
import { ConfirmDelete } from '../confirm-delete.tsx';
import { Empty, ErrorState, Loaded, when } from '../states.tsx';
import { Table } from '../table.tsx';
import { excerpt, scheduleText, TaskForm, TaskStatus, taskChange, taskFields } from '../task-forms.tsx';

/** The task and its runs are read this often while the page is visible (TanStack Query pauses it in a hidden tab). */
const POLL_MS = 2000;

const runStatusText: Record<TaskRun['status'], string> = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  skipped: 'skipped (pre-check)',
  precheck_failed: 'pre-check failed',
  missed: 'missed',
};

function Runs({ task }: { task: Task }) {
  const runs = useQuery({
    queryKey: ['task-runs', task.id],
    queryFn: () => api<{ data: TaskRun[] }>(`/v1/tasks/${task.id}/runs`),
    refetchInterval: POLL_MS,
  });
  return (
    <section aria-labelledby="runs">
      <h2 id="runs">Runs</h2>
      <p className="hint">Newest first; refreshed every {POLL_MS / 1000} s.</p>
      <Loaded query={runs} what="runs">
        {({ data }) =>
          data.length === 0 ? (
            <Empty>No runs yet: the first comes {task.nextRunAt ? when(task.nextRunAt) : 'with "Run now"'}.</Empty>
          ) : (
            <Table
              caption="Runs, newest first"
              rows={data}
              rowKey={(r) => r.id}
              rowAttributes={(r) => ({ 'data-run-status': r.status })}
              columns={[
                { head: 'Scheduled for', cell: (r) => when(r.scheduledFor) },
                {
                  head: 'Status',
                  cell: (r) => (
                    <>
                      <span className={`badge ${r.status}`}>{runStatusText[r.status]}</span>
                      {r.reason ? <div className="meta">{r.reason}</div> : null}
                    </>
                  ),
                },
                { head: 'Started', cell: (r) => when(r.startedAt) },
                { head: 'Finished', cell: (r) => when(r.finishedAt) },
                {
                  head: 'Turn',
                  cell: (r) =>
                    r.turnId ? (
                      <Link href={`/conversations/${task.conversationId}`} aria-label={`Turn ${r.turnId} in its conversation`}>
                        <code>{r.turnId}</code>
                      </Link>
                    ) : (
                      '—'
                    ),
                },
                { head: 'Usage (in/out)', cell: (r) => (r.usage ? `${r.usage.inputTokens} / ${r.usage.outputTokens}` : '—') },
              ]}
            />
          )
        }
      </Loaded>
    </section>
  );
}

function Manage({ task }: { task: Task }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [panel, setPanel] = useState<'edit' | 'delete' | null>(null);
  const saved = async (changed: Task) => {
    queryClient.setQueryData(['task', task.id], changed);
    await queryClient.invalidateQueries({ queryKey: ['tasks'] });
  };
  const pauseOrResume = useMutation({
    mutationFn: () => api<Task>(`/v1/tasks/${task.id}/${task.status === 'paused' ? 'resume' : 'pause'}`, { method: 'POST' }),
    onSuccess: saved,
  });
  const runNow = useMutation({
    mutationFn: () => api<TaskRunStarted>(`/v1/tasks/${task.id}/run`, { method: 'POST' }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['task-runs', task.id] }),
  });
  const initial = taskFields(task);
  const edit = useMutation({
    mutationFn: (fields: typeof initial) => api<Task>(`/v1/tasks/${task.id}`, { method: 'PATCH', body: taskChange(initial, fields) }),
    onSuccess: async (changed) => {
      await saved(changed);
      setPanel(null);
    },
  });
  const remove = useMutation({
    mutationFn: () => api<Task>(`/v1/tasks/${task.id}`, { method: 'DELETE' }),
    onSuccess: async () => {
      queryClient.removeQueries({ queryKey: ['task', task.id] });
      await queryClient.invalidateQueries({ queryKey: ['tasks'] });
      navigate('/tasks');
    },
  });
  const open = (next: typeof panel) => {
    edit.reset();
    setPanel(next);
  };
  const changeable = task.status === 'active' || task.status === 'paused';
  return (
    <>
      <div className="actions">
        {changeable ? (
          <button type="button" onClick={() => pauseOrResume.mutate()} disabled={pauseOrResume.isPending}>
            {task.status === 'paused' ? 'Resume task' : 'Pause task'}
          </button>
        ) : null}
        <button type="button" onClick={() => runNow.mutate()} disabled={runNow.isPending}>
          Run now
        </button>
        {changeable ? (
          <button type="button" onClick={() => open('edit')} aria-expanded={panel === 'edit'}>
            Edit task
          </button>
        ) : null}
        <button type="button" onClick={() => open('delete')} aria-expanded={panel === 'delete'}>
          Delete task…
        </button>
      </div>
      {pauseOrResume.error ? <ErrorState error={pauseOrResume.error} /> : null}
      {runNow.error ? <ErrorState error={runNow.error} /> : null}
      {runNow.data ? (
        <p className="hint" role="status">
          A run for {when(runNow.data.scheduledFor)} is queued; it shows below as it goes.
        </p>
      ) : null}
      {panel === 'edit' ? (
        <section aria-labelledby="edit-task" className="panel">
          <h2 id="edit-task">Edit task</h2>
          <p className="hint">A changed schedule starts afresh from now.</p>
          <TaskForm
            idPrefix="edit"
            initial={initial}
            error={edit.error}
            pending={edit.isPending}
            submitLabel="Save task"
            onSubmit={(fields) => edit.mutate(fields)}
            onCancel={() => setPanel(null)}
          />
        </section>
      ) : null}
      {panel === 'delete' ? (
        <ConfirmDelete headingId="delete-task" title="Delete task" deletion={remove} onKeep={() => setPanel(null)}>
          Cancel <strong>{excerpt(task.prompt, 60)}</strong> for good? It runs no more; what its runs posted stays in the conversation.
        </ConfirmDelete>
      ) : null}
    </>
  );
}

function ConversationLink({ id }: { id: string }) {
  const conversation = useQuery({ queryKey: ['conversation', id], queryFn: () => api<Conversation>(`/v1/conversations/${id}`) });
  return <Link href={`/conversations/${id}`}>{conversation.data?.title || id}</Link>;
}

/** One task: its settings, what can be done with it, and its runs. */
export function TaskView({ id }: { id: string }) {
  // its next and last run move as runs happen: read as often as the runs are
  const task = useQuery({ queryKey: ['task', id], queryFn: () => api<Task>(`/v1/tasks/${id}`), refetchInterval: POLL_MS });
  return (
    <>
      <p>
        <Link href="/tasks">← All tasks</Link>
      </p>
      <Loaded query={task} what="task">
        {(t) => (
          <>
            <h1>Task {excerpt(t.prompt, 60)}</h1>
            <dl className="facts">
              <dt>Status</dt>
              <dd>
                <TaskStatus task={t} />
              </dd>
              <dt>Conversation</dt>
              <dd>
                <ConversationLink id={t.conversationId} />
              </dd>
              <dt>Prompt</dt>
              <dd className="prompt">{t.prompt}</dd>
              <dt>Schedule</dt>
              <dd>
                {scheduleText(t.schedule)}
                {t.schedule.kind === 'cron' ? (
                  <>
                    {' '}
                    <code>{t.schedule.value}</code>
                  </>
                ) : null}
              </dd>
              <dt>Next run</dt>
              <dd>{when(t.nextRunAt)}</dd>
              <dt>Last run</dt>
              <dd>{when(t.lastRunAt)}</dd>
              <dt>Context</dt>
              <dd>{t.context === 'isolated' ? 'isolated: fresh history' : "the conversation's history"}</dd>
              <dt>Missed runs</dt>
              <dd>{t.missedPolicy === 'run-once' ? 'run once' : 'skipped'}</dd>
              <dt>Pre-check</dt>
              <dd>{t.precheckScript ? <pre className="script">{t.precheckScript}</pre> : 'none'}</dd>
              <dt>Created</dt>
              <dd>{when(t.createdAt)}</dd>
            </dl>
            <Manage task={t} />
            <Runs task={t} />
          </>
        )}
      </Loaded>
    </>
  );
}
