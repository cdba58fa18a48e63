import type { ServerResponse } from 'node:http';
import { wait, write } from './http.ts';
import { contentBlock, messageObject, usageObject } from './message.ts';
import type { Reply } from './reply.ts';

type StreamEvent = { type: string } & Record<string, unknown>;

/** Characters per text delta (and per JSON delta of a tool input): small, so streams have many events. */
const deltaChars = 16;

/** The events of a streamed answer, in the order the real API sends them. */
export function* streamEvents(id: string, model: string, reply: Reply): Generator<StreamEvent> {
  const { inputTokens, outputTokens } = reply.usage;
  // Upstream reports a token or so of output at the start and the real count in message_delta.
  const usage = usageObject(inputTokens, 1);
  yield { type: 'message_start', message: messageObject({ id, model, content: [], stopReason: null, usage }) };
  yield { type: 'ping' };
  for (const [index, block] of reply.content.entries()) {
    if (block.type === 'text') {
      yield { type: 'content_block_start', index, content_block: { ...contentBlock(block), text: '' } };
      for (const text of pieces(block.text)) {
        yield { type: 'content_block_delta', index, delta: { type: 'text_delta', text } };
      }
    } else {
      yield { type: 'content_block_start', index, content_block: { ...contentBlock(block), input: {} } };
      for (const partial_json of pieces(JSON.stringify(block.input))) {
        yield { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } };
      }
    }
    yield { type: 'content_block_stop', index };
  }
  yield {
    type: 'message_delta',
    delta: { stop_reason: reply.stopReason, stop_sequence: null, stop_details: null },
    usage: { input_tokens: inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens },
  };
  yield { type: 'message_stop' };
}

/** `text` in pieces of up to `deltaChars` code points; at least one piece, so every block has a delta. */
function pieces(text: string): string[] {
  return text.match(new RegExp(`[\\s\\S]{1,${deltaChars}}`, 'gu')) ?? [''];
}

export const sseFrame = (event: StreamEvent): string => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;

/**
 * Sends the answer as Server-Sent Events, each written as soon as it is ready. A mid-stream
 * failure cuts the stream after the first delta with an `error` event, as upstream does when
 * it becomes overloaded while generating.
 */
export async function streamReply(res: ServerResponse, signal: AbortSignal, id: string, model: string, reply: Reply): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const failure = reply.failure?.midStream ? reply.failure.error : undefined;
  let sentDelta = false;
  let first = true;
  for (const event of streamEvents(id, model, reply)) {
    if (!first && !(await wait(reply.paceMs, signal))) return;
    first = false;
    if (failure && (sentDelta || event.type === 'message_delta')) {
      await write(res, sseFrame(failure.toBody()), signal);
      break;
    }
    if (!(await write(res, sseFrame(event), signal))) return;
    sentDelta ||= event.type === 'content_block_delta';
  }
  res.end();
}
