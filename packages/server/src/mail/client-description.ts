import Bowser from 'bowser';

/** Only names from bowser's own tables reach a message: never a fragment of the header itself. */
const BROWSERS = new Set<string>(Object.values(Bowser.BROWSER_MAP));
const SYSTEMS = new Set<string>(Object.values(Bowser.OS_MAP));

export const UNRECOGNISED_CLIENT = 'an unrecognised client';
export const NO_USER_AGENT = 'a client that sends no User-Agent';

/**
 * A client named in words for an email ("Firefox on Linux"), from its User-Agent parsed by bowser. The
 * header is whatever the client chose to send, so it never appears in a message: only the browser and
 * system names bowser knows, or "an unrecognised client".
 */
export function describeClient(userAgent: string): string {
  if (userAgent.trim() === '') return NO_USER_AGENT;
  const { browser, os } = Bowser.parse(userAgent);
  const name = browser.name !== undefined && BROWSERS.has(browser.name) ? browser.name : undefined;
  const system = os.name !== undefined && SYSTEMS.has(os.name) ? os.name : undefined;
  if (name === undefined) return system === undefined ? UNRECOGNISED_CLIENT : `an unrecognised client on ${system}`;
  return system === undefined ? name : `${name} on ${system}`;
}
