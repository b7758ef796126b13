import { TesseraClientError } from './client-error.js';

/**
 * `cookie`: a browser page on Tessera's site; the refresh token stays in Tessera's HttpOnly cookie, out
 * of reach of scripts. `token`: everything else (Node, React Native, a page on another site); the
 * refresh token goes to the storage the app gives.
 */
export type ClientMode = 'cookie' | 'token';

interface PageGlobals {
  location?: { origin?: string };
  document?: unknown;
}

/** The mode asked for, or the one that works here; refuses cookie mode where the cookie would never be sent. */
export function chooseMode(requested: ClientMode | undefined, baseUrl: string, globals: PageGlobals = globalThis as unknown as PageGlobals): ClientMode {
  const page = globals.document === undefined ? undefined : globals.location?.origin;
  if (page === undefined || !/^https?:/.test(page)) {
    if (requested === 'cookie') {
      throw new TesseraClientError('cookie_mode_unavailable', 'Cookie mode works in browser pages only; use mode: "token" with a storage');
    }
    return 'token';
  }
  const sameSite = isSameSite(page, baseUrl);
  if (requested === 'cookie' && !sameSite) {
    throw new TesseraClientError(
      'cookie_mode_unavailable',
      `This page (${page}) and Tessera (${new URL(baseUrl).origin}) are different sites, so the browser treats Tessera's ` +
        'refresh cookie as third-party and never sends it. Serve the page from the same site as Tessera ' +
        '(app.example.com beside auth.example.com), or use mode: "token" with a storage.',
    );
  }
  return requested ?? (sameSite ? 'cookie' : 'token');
}

/**
 * Whether two origins are the same site for cookies: same scheme and same registrable domain. The
 * domain is taken as the last two labels of the host name (exact for IP addresses and `localhost`);
 * on a public suffix of more labels (`github.io` pages, `co.uk`) pass the mode explicitly.
 */
export function isSameSite(a: string, b: string): boolean {
  const [first, second] = [new URL(a), new URL(b)];
  return first.protocol === second.protocol && siteOf(first.hostname) === siteOf(second.hostname);
}

function siteOf(host: string): string {
  if (host.includes(':') || /^[\d.]+$/.test(host)) return host;
  return host.split('.').slice(-2).join('.');
}
