import { isIPv4, isIPv6 } from 'node:net';

/**
 * The one rule for every per-client limit (the credential and refresh budgets, the login throttle's
 * account+address pairs, the rate-limited routes, the connection cap): a client is counted under
 * `clientKey(address)`, never under its raw address. Audit records and logs keep the full address.
 *
 * - IPv4: the address itself (`203.0.113.7`).
 * - IPv4-mapped IPv6 (`::ffff:203.0.113.7`, as a dual-stack socket reports an IPv4 peer): that IPv4 address.
 * - Any other IPv6 address: its /64, written in its shortest form (`2001:db8:1:2::/64`). One subscriber
 *   is routinely handed a whole /64 (2^64 addresses), so counting each address apart would let one
 *   client pick a fresh address for every attempt and escape every limit.
 * - Anything else (no address Node would report): the text itself, so an oddity is still counted.
 */
export function clientKey(address: string): string {
  if (isIPv4(address) || !isIPv6(address)) return address;
  // How a dual-stack socket (HOST=::, the default) reports every IPv4 peer: no parsing needed.
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7);
  // A zone (`fe80::1%eth0`) names our own interface, not the client; the URL parser refuses it.
  const groups = ipv6Groups(address.split('%', 1)[0]!);
  if (groups === undefined) return address;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high, low] = [groups[6]!, groups[7]!];
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  const prefix = canonical([...groups.slice(0, 4), 0, 0, 0, 0].map((group) => group.toString(16)).join(':'));
  return prefix === undefined ? address : `${prefix}/64`;
}

/**
 * The eight 16-bit groups of an IPv6 address. The WHATWG URL parser does the reading (a `::` anywhere,
 * leading zeros, upper case, a dotted IPv4 tail) and writes it back in one canonical form: lower-case hex
 * groups without leading zeros and at most one `::`, which is all that is left to expand here.
 */
function ipv6Groups(address: string): number[] | undefined {
  const written = canonical(address);
  if (written === undefined) return undefined;
  const [head = '', tail] = written.split('::');
  const read = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  if (tail === undefined) return read(head);
  const [left, right] = [read(head), read(tail)];
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * An IPv6 address as the URL standard writes it (`2001:db8::1`: lower case, no leading zeros, the first
 * longest run of zero groups as `::`, as RFC 5952 says), or undefined if it is not one.
 */
function canonical(address: string): string | undefined {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}
