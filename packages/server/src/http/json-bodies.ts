import type { FastifyInstance } from 'fastify';
import { visit } from 'jsonc-parser';
import secureJson from 'secure-json-parse';
import { TesseraError } from '../errors.js';

const refused = (description: string) => new TesseraError('invalid_request', description);

/**
 * The first name an object of `json` (already parsed) holds twice, or undefined. JSON.parse keeps the
 * last, where a proxy, a firewall or the client's own logs may read the first (RFC 7493, I-JSON:
 * names must be unique), so which username or token counted would depend on who read the body.
 */
function repeatedName(json: string): string | undefined {
  const objects: Array<Set<string>> = [];
  let repeated: string | undefined;
  visit(json, {
    onObjectBegin: () => void objects.push(new Set()),
    onObjectEnd: () => void objects.pop(),
    onObjectProperty: (name) => {
      const names = objects.at(-1)!;
      if (names.has(name)) repeated ??= name;
      names.add(name);
    },
  });
  return repeated;
}

/**
 * The body as JSON, by `secure-json-parse` (Fastify's own parser): a `__proto__` key, or a
 * `constructor` key holding `prototype`, is refused and told so; so is a name repeated in one object,
 * and nesting too deep to walk.
 */
function parseBody(text: string): unknown {
  let value: unknown;
  try {
    value = secureJson.parse(text, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    if (error instanceof RangeError) throw refused('The body is nested too deeply');
    if (error instanceof SyntaxError && /forbidden (prototype|constructor) property/.test(error.message)) {
      throw refused('The body may not hold a "__proto__" key, or a "constructor" key holding "prototype"');
    }
    throw refused('The body is not valid JSON');
  }
  let repeated: string | undefined;
  try {
    repeated = repeatedName(text);
  } catch (error) {
    if (error instanceof RangeError) throw refused('The body is nested too deeply');
    throw error;
  }
  if (repeated !== undefined) throw refused(`The body names ${JSON.stringify(repeated)} twice in one object`);
  return value;
}

/**
 * Every JSON body. `Content-Type: application/json` with no body at all is what many fetch wrappers
 * send with a call that has nothing to say (a cookie-only refresh, a logout, a DELETE): it means "no
 * fields", like no body, and a route that needs some says which is missing.
 */
export function readJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(null, {});
    let value: unknown;
    try {
      value = parseBody(text);
    } catch (error) {
      return done(error as Error, undefined);
    }
    done(null, value);
  });
}
