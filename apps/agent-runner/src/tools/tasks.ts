import { z } from 'zod';
import { askHost, type TaskRequestBody } from './host-request.ts';
import { defineTool } from './tool.ts';

// The model sees a plain schedule shape; its value's format per kind is checked by the IPC
// contract when the request is written, so a bad value is a tool error the model can correct.

export const scheduleTaskTool = defineTool({
  name: 'schedule_task',
  description:
    'Schedule a task: at the given times, the prompt runs as a new turn of this conversation. ' +
    'An optional precheck script (bash) runs first; the task runs only when it exits 0.',
  input: z.object({
    prompt: z.string().min(1).max(20_000).describe('What to do when the task runs.'),
    schedule: z.object({
      kind: z.enum(['cron', 'interval', 'once']),
      value: z
        .string()
        .min(1)
        .describe(
          'cron: a cron expression ("0 9 * * 1"); interval: a number and s, m, h or d ("30m"); ' +
            'once: an ISO 8601 UTC time ("2030-01-01T09:00:00Z").',
        ),
    }),
    precheckScript: z.string().max(20_000).optional().describe('Bash script that decides whether the task runs this time.'),
  }),
  // cast: the schedule's value is checked against its kind when the request is written
  run: ({ prompt, schedule, precheckScript }, context) =>
    askHost({ type: 'schedule_task', prompt, schedule, precheckScript } as TaskRequestBody, context),
});

export const listTasksTool = defineTool({
  name: 'list_tasks',
  description: "List this conversation's scheduled tasks.",
  input: z.object({}),
  run: (_input, context) => askHost({ type: 'list_tasks' }, context),
});

export const cancelTaskTool = defineTool({
  name: 'cancel_task',
  description: 'Cancel a scheduled task.',
  input: z.object({ taskId: z.string().min(1).max(100).describe('The id list_tasks shows.') }),
  run: ({ taskId }, context) => askHost({ type: 'cancel_task', taskId }, context),
});
