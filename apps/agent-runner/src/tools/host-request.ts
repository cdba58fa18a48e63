import { randomUUID } from 'node:crypto';
import type { TaskRequest } from '@warren/ipc';
import { writeTaskRequest } from '../ipc/outbox.ts';
import { awaitResponse } from '../ipc/responses.ts';
import type { ToolContext } from './tool.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The request's own fields; the scope (request id, turn, tenant, conversation) is filled in here. */
export type TaskRequestBody = DistributiveOmit<TaskRequest, 'requestId' | 'turnId' | 'tenantId' | 'conversationId'>;

/**
 * Asks the host to act on tasks and waits for its decision: writes `tasks/…json`, then reads
 * `responses/<requestId>.json`. The result goes back to the model as is; a refusal, an unreadable
 * answer or no answer in time is a tool error.
 */
export async function askHost(body: TaskRequestBody, context: ToolContext): Promise<string> {
  const { turnId, tenantId, conversationId } = context.turn;
  const requestId = randomUUID();
  await writeTaskRequest(context.ipcDir, { ...body, requestId, turnId, tenantId, conversationId });
  const response = await awaitResponse(context.ipcDir, requestId, context.taskResponseTimeoutMs);
  if (!response.ok) throw new Error(response.error ?? 'the host refused the request');
  if (response.result === undefined) return 'done';
  return typeof response.result === 'string' ? response.result : JSON.stringify(response.result);
}
