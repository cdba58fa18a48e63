export { installQueue, QUEUE_SCHEMA } from './boss.ts';
