export { createWarrenClient, type Problem, type WarrenClient, type WarrenClientOptions } from './client.ts';
export { EventStreamError, type EventStreamOptions, streamEvents } from './event-stream.ts';
export type { components, operations, paths } from './schema.d.ts';
export { type ServerSentEvent, SseParser } from './sse-parser.ts';
