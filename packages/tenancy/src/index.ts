export { ApiKeyCache } from './api-key-cache.ts';
export {
  type ApiKeyInfo,
  type ApiKeyPrincipal,
  authenticateApiKey,
  createApiKey,
  createApiKeyWithinQuota,
  hashApiKey,
  listApiKeys,
  type NewApiKey,
  revokeApiKey,
} from './api-keys.ts';
export { deleteCredential, listCredentials, type Provider, type StoredCredential, storeCredential } from './credentials.ts';
export {
  csrfTokenFor,
  findSession,
  MAX_SESSIONS_PER_SUBJECT,
  type OpenedSession,
  openSession,
  revokeSession,
  type SessionPrincipal,
  type SessionSubject,
} from './dashboard-sessions.ts';
export { tenantLimitBounds } from './limit-bounds.ts';
export { deleteTenant, exportTenant, type TenantExportLine } from './tenant-removal.ts';
export { TenantTurnSettings, type TurnSettings } from './tenant-turn-settings.ts';
export {
  getTenant,
  listTenants,
  type ProvisionedTenant,
  provisionTenant,
  setTenantLimits,
  setTenantStatus,
  type Tenant,
  type TenantLimits,
  tenantLimitKeys,
} from './tenants.ts';
export { type UsageDay, usageByDay } from './usage.ts';
