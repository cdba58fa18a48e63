export {
  createApiKey,
  listApiKeys,
  revokeApiKey,
  authenticateApiKey,
  hashApiKey,
  type ApiKeyInfo,
  type NewApiKey,
  type ApiKeyPrincipal,
} from './api-keys.ts';
export { provisionTenant, getTenant, listTenants, setTenantStatus, type Tenant, type ProvisionedTenant } from './tenants.ts';
export { ApiKeyCache } from './api-key-cache.ts';
export { TenantStatusCache } from './tenant-status-cache.ts';
export { storeCredential, listCredentials, deleteCredential, type StoredCredential, type Provider } from './credentials.ts';
