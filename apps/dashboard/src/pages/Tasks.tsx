import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api, type Conversation, type Page, type Task } from '../api.ts';
import { Empty, Loaded, when } from '../states.tsx';
import { Table } from '../table.tsx';
import { excerpt, newTask, newTaskFields, scheduleText, type TaskFields, TaskForm, TaskStatus } from '../task-forms.tsx';

/** The conversations the pickers offer (the API's first page): another one can be given by its id. */
const useConversations = () =>
  useQuery({ queryKey: ['conversations', '?limit=100'], queryFn: () => api<Page<Conversation>>('/v1/conversations?limit=100') });

/** The tenant's scheduled tasks, or one conversation's (`?conversationId=`), and a form to schedule one. */
export function Tasks() {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const conversationId = new URLSearchParams(useSearch()).get('conversationId') ?? '';
  const tasks = useQuery({
    queryKey: ['tasks', conversationId],
    queryFn: () => api<{ data: Task[] }>(`/v1/tasks${conversationId ? `?${new URLSearchParams({ conversationId })}` : ''}`),
  });
  const conversations = useConversations();
  const titles = new Map((conversations.data?.data ?? []).map((c) => [c.id, c.title || c.externalId || c.id]));
  const [formKey, setFormKey] = useState(0); // a new key empties the form after a creation
  const create = useMutation({
    mutationFn: (fields: TaskFields) => api<Task>('/v1/tasks', { method: 'POST', body: newTask(fields) }),
    onSuccess: async () => {
      setFormKey((k) => k + 1);
      await queryClient.invalidateQueries({ queryKey: ['tasks'] });
    },
  });
  const filter = (id: string) => navigate(id ? `/tasks?${new URLSearchParams({ conversationId: id })}` : '/tasks', { replace: true });
  const filterChoices = [...titles.keys()];
  if (conversationId && !titles.has(conversationId)) filterChoices.push(conversationId);
  return (
    <>
      <h1>Tasks</h1>
      <p>Prompts the assistant runs on a schedule in a conversation; each run is a turn there, its answer posted to it.</p>
      <section aria-labelledby="new-task">
        <h2 id="new-task">New task</h2>
        <TaskForm
          key={`${formKey}-${conversationId}`}
          idPrefix="new"
          initial={newTaskFields(conversationId)}
          conversations={conversations.data?.data ?? []}
          error={create.error}
          pending={create.isPending}
          submitLabel="Create task"
          onSubmit={(fields) => create.mutate(fields)}
        />
      </section>
      <section aria-labelledby="tasks">
        <h2 id="tasks">{conversationId ? `Tasks of ${titles.get(conversationId) ?? conversationId}` : 'All tasks'}</h2>
        <div className="row">
          <label>
            Show tasks of{' '}
            <select value={conversationId} onChange={(e) => filter(e.target.value)}>
              <option value="">every conversation</option>
              {filterChoices.map((id) => (
                <option key={id} value={id}>
                  {titles.get(id) ?? id}
                </option>
              ))}
            </select>
          </label>
        </div>
        <Loaded query={tasks} what="tasks">
          {({ data }) =>
            data.length === 0 ? (
              <Empty>
                {conversationId ? 'No tasks in this conversation.' : 'No tasks yet: create one above, or let the assistant schedule one.'}
              </Empty>
            ) : (
              <Table
                caption="Tasks"
                rows={data}
                rowKey={(t) => t.id}
                rowAttributes={(t) => ({ 'data-task-status': t.status })}
                columns={[
                  { head: 'Task', cell: (t) => <Link href={`/tasks/${t.id}`}>{excerpt(t.prompt)}</Link> },
                  {
                    head: 'Conversation',
                    cell: (t) => (
                      <Link href={`/conversations/${t.conversationId}`}>{titles.get(t.conversationId) ?? t.conversationId}</Link>
                    ),
                  },
                  { head: 'Schedule', cell: (t) => scheduleText(t.schedule) },
                  { head: 'Next run', cell: (t) => when(t.nextRunAt) },
                  { head: 'Status', cell: (t) => <TaskStatus task={t} /> },
                ]}
              />
            )
          }
        </Loaded>
      </section>
    </>
  );
}
