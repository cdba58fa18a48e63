import { createLogger } from '@warren/core';

/** For the test databases' own pools and queues when a test brings no logger: only what goes wrong. */
export const testkitLogger = createLogger('testkit', { level: 'warn' });
