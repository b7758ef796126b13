const BASE64URL = /^[A-Za-z0-9_-]*$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether a compact JWS is written the one way its bytes encode: three base64url parts without
 * padding, whitespace or stray low bits. Decoders are forgiving (a flipped padding bit or a space
 * decodes to the same bytes), so without this one signed token has many spellings, and anything keyed
 * on the string — the stored hash of a refresh token — would not find the token that verified.
 */
export function isCanonicalEncoding(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && parts.every(isCanonicalPart);
}

/**
 * RFC 4648 §3.5: four characters carry three bytes; a last group of two or three characters carries
 * one or two, and the bits of its last character beyond them must be zero; a last group of one carries
 * nothing and is never written. Checked on the characters, without decoding the part (this runs on
 * every token seen for the first time); the test holds it to Node's own decoder on every spelling.
 */
function isCanonicalPart(part: string): boolean {
  if (!BASE64URL.test(part)) return false;
  const tail = part.length % 4;
  if (tail === 0) return true;
  if (tail === 1) return false;
  const spareBits = tail === 2 ? 0b1111 : 0b11;
  return (ALPHABET.indexOf(part[part.length - 1]!) & spareBits) === 0;
}
