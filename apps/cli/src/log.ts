import { createLogger } from '@warren/core';

/**
 * For what fails beside a command's own answer (a lost idle connection, a queue error): JSON
 * lines on stderr, since stdout carries what the command prints.
 */
export const cliLogger = createLogger('warren-cli', {}, process.stderr);
