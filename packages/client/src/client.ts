import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema.d.ts';

export type WarrenClient = Client<paths>;

export interface WarrenClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the API is, e.g. `https://warren.example.com`. */
  baseUrl: string;
  /** A tenant API key (`wrn_…`), sent as `Authorization: Bearer`. */
  apiKey?: string;
}

/**
 * A typed client of the Warren API: every path, parameter, body and answer (errors included,
 * as RFC 9457 problem details) is typed from the API's OpenAPI document.
 *
 *   const { data, error } = await warren.POST('/v1/conversations', { body: { externalId: 'chat-1' } });
 */
export function createWarrenClient({ apiKey, headers, ...options }: WarrenClientOptions): WarrenClient {
  return createClient<paths>({
    ...options,
    headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...(headers as Record<string, string> | undefined) },
  });
}

/** An error answer of any route: RFC 9457 problem details with a stable `type` (`urn:warren:problem:…`). */
export type Problem = paths['/v1/conversations']['post']['responses']['4XX']['content']['application/problem+json'];
