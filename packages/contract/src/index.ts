export { TesseraError, InvalidTokenError, type ErrorCode, type InvalidTokenReason, type InvalidGrantReason } from './errors.js';
export { ACCESS_TOKEN_TYPE, FIRST_PARTY_CLIENT_ID, REQUIRED_ACCESS_CLAIMS, SERVICE_ROLE, isServiceToken, type AccessClaims } from './claims.js';
export { CLOCK_LEEWAY_SECONDS } from './clock-leeway.js';
export {
  REVOCATION_FEED_EVENTS,
  formatFeedPosition,
  parseFeedPosition,
  type FeedPosition,
  type RevocationFeedData,
} from './revocation-feed.js';
export { BEARER_REALM, MISSING_BEARER_DESCRIPTION, NOT_BEARER_DESCRIPTION, SERVICE_TOKEN_REFUSED_DESCRIPTION, bearerChallenge } from './bearer-challenge.js';
export { repeatedHeaderCheck, repeatedHeaderDescription } from './repeated-headers.js';
