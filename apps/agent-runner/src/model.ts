import Anthropic from '@anthropic-ai/sdk';
import { unixSocketFetch } from './unix-socket-fetch.ts';

export type ModelRequest = Anthropic.MessageCreateParamsNonStreaming;

/**
 * The one thing a turn needs of the model: an answer to a request, made with the turn's token;
 * `onText` hears the answer's text as it streams in.
 */
export interface Model {
  answer(request: ModelRequest, turnToken: string, onText?: (text: string) => void): Promise<Anthropic.Message>;
}

export interface ModelOptions {
  /** The credential proxy's unix socket; the host name in the URL is only a label. */
  proxySocket: string;
  maxRetries: number;
}

/**
 * The SDK, talking to the credential proxy over its unix socket with the turn's token as its API
 * key (a client per call: the token changes every turn and lives nowhere else in the sandbox).
 * Answers are streamed and collected: the SDK refuses non-streaming requests whose max_tokens
 * could take longer than ten minutes, and a stream keeps a long answer's connection busy.
 */
export function proxiedModel(options: ModelOptions): Model {
  const fetch = unixSocketFetch(options.proxySocket);
  return {
    answer: (request, turnToken, onText) => {
      const stream = new Anthropic({
        apiKey: turnToken,
        baseURL: 'http://credential-proxy',
        fetch,
        maxRetries: options.maxRetries,
      }).messages.stream(request);
      if (onText) stream.on('text', (text) => onText(text));
      return stream.finalMessage();
    },
  };
}
