export const QUEUE_SCHEMA = 'pgboss';
