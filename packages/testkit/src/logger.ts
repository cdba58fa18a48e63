import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@warren/core';

/** For the test databases' own pools and queues when a test brings no logger: only what goes wrong. */
export const testkitLogger = createLogger('testkit', { level: 'warn' });

/** One line a captured logger wrote, parsed; `err` as pino's serializer wrote it. */
export type LogRecord = Record<string, unknown> & {
  level: number;
  msg: string;
  err?: { type: string; message: string; stack: string; code?: string };
};

/** A logger whose lines are kept in `records`, for tests that assert what was logged. */
export function captureLogs(name = 'test', level = 'info'): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return { logger: createLogger(name, { level }, sink), records };
}
