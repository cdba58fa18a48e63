export { generateProxyKeyPair, isProxyKey, openSealed, type ProxyKeyPair, sealForProxy } from './sealed-key.ts';
export { generateSecretBoxKey, openSecret, sealSecret } from './secret-box.ts';
export { mintTurnToken, type TurnTokenCheck, type TurnTokenClaims, verifyTurnToken } from './turn-token.ts';
