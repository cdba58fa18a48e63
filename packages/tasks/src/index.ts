export { runTaskJob, type TaskJobDeps, type TaskJobResult } from './run-task-job.ts';
export { intervalMs, nextRunAfter, planRun, type Schedule, ScheduleError } from './schedule.ts';
export { taskRequestHandler } from './task-requests.ts';
export {
  abandonRun,
  cancelTask,
  createTask,
  DEFAULT_TASK_LIMITS,
  getTask,
  listRuns,
  listTasks,
  pauseTask,
  resumeTask,
  runTaskNow,
  type Task,
  type TaskLimits,
  type TaskRun,
  updateTask,
} from './task-state.ts';
