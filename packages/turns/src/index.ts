export { ingestMessage } from './ingest.ts';
