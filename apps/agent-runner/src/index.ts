export { runAgent, type RunnerOptions } from './runner.ts';
export { runTurn, type TurnDeps } from './turn.ts';
export { proxiedModel, type Model, type ModelOptions, type ModelRequest } from './model.ts';
export { loadRunnerConfig, runnerConfigSchema, ConfigError, type RunnerConfig } from './config.ts';
export { tools, ProcessGroups, type Tool, type ToolContext } from './tools/index.ts';
export type { TurnResult } from './turn-result.ts';
