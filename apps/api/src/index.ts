export { buildApi, type ApiOptions } from './app.ts';
export { loadApiConfig, apiConfigSchema, type ApiConfig } from './config.ts';
