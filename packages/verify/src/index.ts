export { verifyAccessToken, type AccessTokenRules, type KeyLookup, type RevocationCheck, type VerificationKey } from './access-token-verifier.js';
export { isCanonicalEncoding } from './canonical-encoding.js';
export { VerifiedTokenCache } from './verified-token-cache.js';
export { createVerifier, type Caller, type FeedDownPolicy, type Verifier, type VerifierOptions } from './create-verifier.js';
export type { FeedStatus } from './feed-subscription.js';
export { RevocationState } from './revocation-state.js';
export { remoteKeys } from './remote-keys.js';
export { authorizeCaller, readBearerToken, refusalAnswer, type RefusalAnswer, type RequireOptions } from './bearer.js';
export { FIRST_PARTY_CLIENT_ID, SERVICE_ROLE, isServiceToken, InvalidTokenError, TesseraError, type AccessClaims, type InvalidTokenReason } from '@tessera/contract';
