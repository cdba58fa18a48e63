import { AppError, jsonTextProblem } from '@warren/core';
import { type Pool, withTenant } from '@warren/db';
import type { IpcResponse, TaskRequest } from '@warren/ipc';
import type { TurnQueue } from '@warren/queue';
import { cancelTask, createTask, listTasks, pauseTask, resumeTask, type Task, type TaskLimits, updateTask } from './task-state.ts';

/**
 * Answers the agent's task tools. The sandbox's IPC channel has already refused a request naming
 * another tenant or conversation; `scope` is the sandbox's own, and every statement is held to
 * it (a task id of another conversation is "not found").
 */
export function taskRequestHandler(pool: Pool, queue: TurnQueue, limitsOf: (tenantId: string) => Promise<TaskLimits>) {
  return async (scope: { tenantId: string; conversationId: string }, request: TaskRequest): Promise<Omit<IpcResponse, 'requestId'>> => {
    const { conversationId } = scope;
    // the sandbox's strings reach Postgres: one it cannot store is the agent's error, not the host's
    const unstorable = jsonTextProblem(request);
    if (unstorable) return { ok: false, error: unstorable };
    const limits = await limitsOf(scope.tenantId);
    try {
      const result = await withTenant(pool, scope.tenantId, async (tx): Promise<unknown> => {
        switch (request.type) {
          case 'schedule_task': {
            const { prompt, schedule, precheckScript, context, missedPolicy } = request;
            return view(await createTask(tx, queue, conversationId, { prompt, schedule, precheckScript, context, missedPolicy }, limits));
          }
          case 'list_tasks':
            return (await listTasks(tx, { conversationId })).map(view);
          case 'update_task': {
            const { type: _t, requestId: _r, turnId: _u, tenantId: _n, conversationId: _c, taskId, ...fields } = request;
            return view(await updateTask(tx, queue, taskId, fields, limits, conversationId));
          }
          case 'pause_task':
            return view(await pauseTask(tx, queue, request.taskId, conversationId));
          case 'resume_task':
            return view(await resumeTask(tx, queue, request.taskId, limits, conversationId));
          case 'cancel_task':
            return view(await cancelTask(tx, queue, request.taskId, conversationId));
        }
      });
      return { ok: true, result };
    } catch (err) {
      // a refusal the agent can act on; anything else is the host's, logged by the sandbox pool
      if (err instanceof AppError) return { ok: false, error: err.message };
      throw err;
    }
  };
}

/** What the agent sees of a task. */
function view(task: Task) {
  return {
    taskId: task.id,
    prompt: task.prompt,
    schedule: task.schedule,
    status: task.status,
    context: task.context,
    missedPolicy: task.missedPolicy,
    precheck: task.precheckScript !== null,
    nextRunAt: task.nextRunAt?.toISOString() ?? null,
  };
}
