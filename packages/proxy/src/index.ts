export { createCredentialProxy, type CredentialProxy, type ProxyOptions } from './server.ts';
export { TenantPolicies, type TenantPolicy } from './tenant-policies.ts';
export { UsageMeter, type Usage } from './usage-meter.ts';
export { UsageTap } from './usage-tap.ts';
export { RequestLimiter } from './request-limiter.ts';
