export { loadProxyConfig, type ProxyConfig, proxyConfigSchema } from './config.ts';
export { type RunningProxy, startProxy } from './start.ts';
