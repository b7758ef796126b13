import type { FastifyRequest } from 'fastify';
import { TesseraError } from '../errors.js';

/**
 * The one value of a credential cookie that may arrive under several names (the current one first,
 * then a legacy one still accepted), or undefined when none was sent. Two cookies of one name, or two
 * names with different values, are refused rather than first-wins: a sibling subdomain can plant a
 * cookie of the same name (for the parent domain, or a longer path) that the browser sends ahead of
 * the victim's own, and the victim would then act under the attacker's credential.
 */
export function credentialCookie(request: FastifyRequest, names: readonly string[]): string | undefined {
  // The common case costs nothing: no cookie of these names at all.
  if (names.every((name) => request.cookies[name] === undefined)) return undefined;
  const values = cookieValues(request, names);
  const sent = names.flatMap((name) => values.get(name) ?? []);
  if (names.some((name) => (values.get(name)?.length ?? 0) > 1) || new Set(sent).size > 1) {
    throw new TesseraError(
      'invalid_request',
      `The request carries ${sent.length} ${names.join(' / ')} cookies; one may have been planted by another site. ` +
        "Clear this site's cookies and log in again",
    );
  }
  return sent[0] || undefined;
}

/**
 * Every value the Cookie header gives each of `names`, in order. The cookie parser keeps only the
 * first cookie of a name, so the header is cut at the `;` that separates its pairs (RFC 6265 §4.2.1:
 * a value never contains one) and each pair is read by the same parser @fastify/cookie uses.
 */
function cookieValues(request: FastifyRequest, names: readonly string[]): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const pair of (request.headers.cookie ?? '').split(';')) {
    for (const [name, value] of Object.entries(request.server.parseCookie(pair))) {
      if (value !== undefined && names.includes(name)) values.set(name, [...(values.get(name) ?? []), value]);
    }
  }
  return values;
}
