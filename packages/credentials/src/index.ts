export { mintSandboxToken, verifySandboxToken, type SandboxTokenClaims, type SandboxTokenCheck } from './sandbox-token.ts';
export { generateProxyKeyPair, sealForProxy, openSealed, isProxyKey, type ProxyKeyPair } from './sealed-key.ts';
