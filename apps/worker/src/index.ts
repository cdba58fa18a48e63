export { startWorker, type RunningWorker } from './start.ts';
export { loadWorkerConfig, workerConfigSchema, type WorkerConfig } from './config.ts';
