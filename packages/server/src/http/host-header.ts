/** The last Host value found well-formed: nearly every request names the same one. */
let lastWellFormed: string | undefined;

/**
 * Whether `host` is a Host header's `uri-host [":" port]` (RFC 9112 §3.2, which asks for a 400
 * otherwise), read by the WHATWG URL parser: no spaces or other characters no host may hold, no user
 * information, path, query or fragment, a port within range. The parser would drop tabs and line
 * breaks, so whitespace is refused before it. `localhost:5000`, `[::1]:5000` and `auth.example.com`
 * are well-formed; `bad host`, `a@b`, `a/b` and `a:99999` are not.
 */
export function isWellFormedHost(host: string): boolean {
  if (host === lastWellFormed) return true;
  let url: URL;
  try {
    url = new URL(`http://${host}`);
  } catch {
    return false;
  }
  const wellFormed = url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === '' && !/[/?#\\\s]/.test(host);
  if (wellFormed) lastWellFormed = host;
  return wellFormed;
}
