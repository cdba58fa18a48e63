export { startProxy, type RunningProxy } from './start.ts';
export { loadProxyConfig, proxyConfigSchema, type ProxyConfig } from './config.ts';
