import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { writeOutboundMessage } from '../ipc/outbox.ts';
import { defineTool } from './tool.ts';

export const sendMessageTool = defineTool({
  name: 'send_message',
  description:
    'Send a message to the conversation right away, before this turn ends (e.g. a progress note during long work). ' +
    'Your final answer is sent anyway; do not repeat it here.',
  input: z.object({ text: z.string().min(1).max(100_000).describe('The message text.') }),
  async run({ text }, context) {
    const { turnId, tenantId, conversationId } = context.turn;
    // Counted before the write: a write that fails leaves a gap the host sees, and fails the turn.
    const seq = context.outputs.sent++;
    await writeOutboundMessage(context.ipcDir, {
      type: 'send_message',
      requestId: randomUUID(),
      turnId,
      tenantId,
      conversationId,
      seq,
      text,
    });
    return 'sent';
  },
});
