export {
  createApiKey,
  createApiKeyWithinQuota,
  listApiKeys,
  revokeApiKey,
  authenticateApiKey,
  hashApiKey,
  type ApiKeyInfo,
  type NewApiKey,
  type ApiKeyPrincipal,
} from './api-keys.ts';
export { provisionTenant, getTenant, listTenants, setTenantStatus, setTenantLimits, tenantLimitKeys, type Tenant, type TenantLimits, type ProvisionedTenant } from './tenants.ts';
export { tenantLimitBounds } from './limit-bounds.ts';
export { ApiKeyCache } from './api-key-cache.ts';
export { TenantTurnSettings, type TurnSettings } from './tenant-turn-settings.ts';
export { storeCredential, listCredentials, deleteCredential, type StoredCredential, type Provider } from './credentials.ts';
