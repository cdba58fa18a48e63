import type { Reply, ReplyBlock, StopReason } from './reply.ts';

// The response objects of the Messages API, shaped as SDK 1.x types them (nullable fields are
// sent as null rather than left out, so `=== null` checks in clients behave as upstream).

export function usageObject(inputTokens: number, outputTokens: number) {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    server_tool_use: null,
    service_tier: 'standard',
    inference_geo: null,
  };
}

export function contentBlock(block: ReplyBlock) {
  return block.type === 'text'
    ? { type: 'text', text: block.text, citations: null }
    : { type: 'tool_use', id: block.id, name: block.name, input: block.input, caller: { type: 'direct' } };
}

interface MessageFields {
  id: string;
  model: string;
  content: ReturnType<typeof contentBlock>[];
  stopReason: StopReason | null;
  usage: ReturnType<typeof usageObject>;
}

export function messageObject(m: MessageFields) {
  return {
    id: m.id,
    type: 'message',
    role: 'assistant',
    model: m.model,
    content: m.content,
    stop_reason: m.stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: m.usage,
  };
}

/** The whole answer as one JSON message (`stream` not set). */
export function completeMessage(id: string, model: string, reply: Reply) {
  return messageObject({
    id,
    model,
    content: reply.content.map(contentBlock),
    stopReason: reply.stopReason,
    usage: usageObject(reply.usage.inputTokens, reply.usage.outputTokens),
  });
}
