const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Whether a compact JWS is written the one way its bytes encode: three base64url parts without
 * padding, whitespace or stray low bits. Decoders are forgiving (a flipped padding bit or a space
 * decodes to the same bytes), so without this one signed token has many spellings, and anything keyed
 * on the string — the stored hash of a refresh token — would not find the token that verified.
 */
export function isCanonicalEncoding(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  // Node's decoder skips what it cannot read, so the alphabet is checked first, then the round trip.
  return parts.every((part) => BASE64URL.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part);
}
