export { loadWorkerConfig, type WorkerConfig, workerConfigSchema } from './config.ts';
export { type RunningWorker, startWorker } from './start.ts';
