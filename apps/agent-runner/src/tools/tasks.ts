import { z } from 'zod';
import { askHost, type TaskRequestBody } from './host-request.ts';
import { defineTool } from './tool.ts';

// The model sees a plain schedule shape; its value's format per kind is checked by the IPC
// contract when the request is written, so a bad value is a tool error the model can correct.

const schedule = z.object({
  kind: z.enum(['cron', 'interval', 'once']),
  value: z
    .string()
    .min(1)
    .describe(
      'cron: a cron expression ("0 9 * * 1"); interval: a number and s, m, h or d ("30m"), counted from when the task was scheduled; ' +
        'once: an ISO 8601 time with its offset ("2030-01-01T09:00:00Z").',
    ),
  timezone: z.string().optional().describe('cron only: the IANA time zone the expression is read in ("Europe/Berlin"); default UTC.'),
});

const fields = {
  prompt: z.string().min(1).max(20_000).describe('What to do when the task runs.'),
  schedule,
  precheckScript: z
    .string()
    .max(20_000)
    .optional()
    .describe(
      'Bash script run in this workspace before each run; its last line of stdout must be {"wakeAgent": true|false, "data": …}. ' +
        'Only wakeAgent true runs the task, with data added to its prompt.',
    ),
  context: z
    .enum(['conversation', 'isolated'])
    .optional()
    .describe(
      'conversation (default): runs with this conversation’s history; isolated: fresh history. The answer is posted here either way.',
    ),
  missedPolicy: z.enum(['skip', 'run-once']).optional().describe('After downtime, skip missed runs (default) or run once.'),
};

const taskId = z.string().min(1).max(100).describe('The id list_tasks shows.');

// casts: the schedule's value is checked against its kind when the request is written
export const scheduleTaskTool = defineTool({
  name: 'schedule_task',
  description: 'Schedule a task: at the given times, the prompt runs as a turn and its answer is posted to this conversation.',
  input: z.object(fields),
  run: (input, context) => askHost({ type: 'schedule_task', ...input } as TaskRequestBody, context),
});

export const updateTaskTool = defineTool({
  name: 'update_task',
  description: "Change a scheduled task's prompt, schedule, pre-check, context or missed-run policy.",
  input: z.object({ taskId, ...z.object(fields).partial().shape }),
  run: (input, context) => askHost({ type: 'update_task', ...input } as TaskRequestBody, context),
});

export const listTasksTool = defineTool({
  name: 'list_tasks',
  description: "List this conversation's scheduled tasks.",
  input: z.object({}),
  run: (_input, context) => askHost({ type: 'list_tasks' }, context),
});

export const pauseTaskTool = defineTool({
  name: 'pause_task',
  description: 'Pause a scheduled task: it does not run until resumed.',
  input: z.object({ taskId }),
  run: ({ taskId }, context) => askHost({ type: 'pause_task', taskId }, context),
});

export const resumeTaskTool = defineTool({
  name: 'resume_task',
  description: 'Resume a paused task from its next scheduled time.',
  input: z.object({ taskId }),
  run: ({ taskId }, context) => askHost({ type: 'resume_task', taskId }, context),
});

export const cancelTaskTool = defineTool({
  name: 'cancel_task',
  description: 'Cancel a scheduled task for good.',
  input: z.object({ taskId }),
  run: ({ taskId }, context) => askHost({ type: 'cancel_task', taskId }, context),
});

export const taskTools = [scheduleTaskTool, listTasksTool, updateTaskTool, pauseTaskTool, resumeTaskTool, cancelTaskTool];
