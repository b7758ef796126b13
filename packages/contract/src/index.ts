export { TesseraError, InvalidTokenError, type ErrorCode, type InvalidTokenReason } from './errors.js';
export { ACCESS_TOKEN_TYPE, FIRST_PARTY_CLIENT_ID, REQUIRED_ACCESS_CLAIMS, type AccessClaims } from './claims.js';
export { CLOCK_LEEWAY_SECONDS } from './clock-leeway.js';
