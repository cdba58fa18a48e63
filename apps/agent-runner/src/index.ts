// The runner is a program run inside sandboxes; what hosts need from it is how to start it.
export { prepareRunner, type RunnerLaunch } from './launch.ts';
