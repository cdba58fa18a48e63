import Anthropic from '@anthropic-ai/sdk';
import { unixSocketFetch } from './unix-socket-fetch.ts';

export type ModelRequest = Anthropic.MessageCreateParamsNonStreaming;

/** The one thing a turn needs of the model: an answer to a request. */
export interface Model {
  answer(request: ModelRequest): Promise<Anthropic.Message>;
}

export interface ModelOptions {
  /** The credential proxy's unix socket; the host name in the URL is only a label. */
  proxySocket: string;
  sandboxToken: string;
  maxRetries: number;
}

/**
 * The SDK, talking to the credential proxy over its unix socket with the sandbox token as its
 * API key. Answers are streamed and collected: the SDK refuses non-streaming requests whose
 * max_tokens could take longer than ten minutes, and a stream keeps a long answer's connection busy.
 */
export function proxiedModel(options: ModelOptions): Model {
  const client = new Anthropic({
    apiKey: options.sandboxToken,
    baseURL: 'http://credential-proxy',
    fetch: unixSocketFetch(options.proxySocket),
    maxRetries: options.maxRetries,
  });
  return { answer: (request) => client.messages.stream(request).finalMessage() };
}
