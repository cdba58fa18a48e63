export { mintTurnToken, verifyTurnToken, type TurnTokenClaims, type TurnTokenCheck } from './turn-token.ts';
export { generateProxyKeyPair, sealForProxy, openSealed, isProxyKey, type ProxyKeyPair } from './sealed-key.ts';
