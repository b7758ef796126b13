export { verifyAccessToken, type AccessTokenRules, type KeyLookup, type RevocationCheck, type VerificationKey } from './access-token-verifier.js';
export { isCanonicalEncoding } from './canonical-encoding.js';
export { VerifiedTokenCache } from './verified-token-cache.js';
export { FIRST_PARTY_CLIENT_ID, InvalidTokenError, type AccessClaims, type InvalidTokenReason } from '@tessera/contract';
