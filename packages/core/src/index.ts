export { newId, idSchema, idPrefixes, type IdKind } from './ids.ts';
export { text, textProblem, jsonTextProblem, problemCheck } from './text.ts';
export { parseEnv, ConfigError, envBoolean, logLevel } from './config.ts';
export { createLogger, type Logger } from './logger.ts';
export { AppError, notFound, problemKinds, problemType, type ProblemKind } from './problems.ts';
export { runService } from './service.ts';
export { canReach, type UnixIds } from './reachable.ts';
