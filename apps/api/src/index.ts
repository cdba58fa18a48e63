export { type ApiOptions, buildApi } from './app.ts';
export { type ApiConfig, apiConfigSchema, loadApiConfig } from './config.ts';
export { openApiDocument, openApiDocumentText } from './openapi-document.ts';
