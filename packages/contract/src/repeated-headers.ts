/**
 * A header a request may carry once (RFC 9110 defines Host, Authorization and Content-Type as single
 * values; RFC 9112 §3.2 asks for a 400 on a second Host) but carries twice is refused, never read:
 * Node keeps the first and drops the rest without a word, where a proxy or a firewall in front may
 * read the last, so which host, credential or body type counted would depend on who read the request.
 */
export const repeatedHeaderDescription = (name: string): string => `Send one ${name} header, not several`;

/**
 * A check for `names` (spelt as a client would read them in an error) over Node's `rawHeaders`: the
 * first name repeated, or undefined. Names of other lengths are passed over without allocating.
 */
export function repeatedHeaderCheck(names: readonly string[]): (raw: readonly string[]) => string | undefined {
  const spelt = new Map(names.map((name) => [name.toLowerCase(), name]));
  const lengths = new Set(names.map((name) => name.length));
  return (raw) => {
    let seen: string[] | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (!lengths.has(name.length)) continue;
      const lower = name.toLowerCase();
      if (!spelt.has(lower)) continue;
      if (seen?.includes(lower)) return spelt.get(lower);
      (seen ??= []).push(lower);
    }
    return undefined;
  };
}
