export { ConfigError, envBoolean, logLevel, parseEnv } from './config.ts';
export { type IdKind, idPrefixes, idSchema, newId } from './ids.ts';
export { MAX_JSON_DEPTH, parseClientJson } from './json-text.ts';
export { createLogger, type Logger } from './logger.ts';
export { AppError, notFound, type ProblemKind, problemKinds, problemType } from './problems.ts';
export { canReach, type UnixIds } from './reachable.ts';
export { runService } from './service.ts';
export { jsonTextProblem, problemCheck, text, textProblem } from './text.ts';
