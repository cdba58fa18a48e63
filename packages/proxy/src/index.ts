export { RequestLimiter } from './request-limiter.ts';
export { type CredentialProxy, createCredentialProxy, type ProxyOptions } from './server.ts';
export { TenantPolicies, type TenantPolicy } from './tenant-policies.ts';
export { type Usage, UsageMeter } from './usage-meter.ts';
export { UsageTap } from './usage-tap.ts';
