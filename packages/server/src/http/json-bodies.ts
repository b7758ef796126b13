import type { FastifyInstance } from 'fastify';
import { visit } from 'jsonc-parser';
import { TesseraError } from '../errors.js';

const POISONED_DESCRIPTION = 'The body may not hold a "__proto__" key, or a "constructor" key holding "prototype"';

/** Whether `text` is JSON by the standard's own grammar; asked only of a body already refused. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

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
 * JSON bodies, read by Fastify's own parser with its prototype-poisoning checks; a name repeated in an
 * object is refused. A body refused for a `__proto__` or `constructor.prototype` key is told so, not
 * that it is not JSON (Fastify gives both the same error). `empty: 'no fields'` reads `Content-Type: application/json` with no body at all as
 * `{}`: what many fetch wrappers send for a cookie-only refresh or logout (auth routes); elsewhere an
 * empty body is refused as Fastify refuses it.
 */
export function readJsonBodies(app: FastifyInstance, { empty }: { empty: 'refused' | 'no fields' }): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0 && empty === 'no fields') return done(null, {});
    json(request, text, (error: Error | null, value?: unknown) => {
      if (error !== null && text.length > 0 && isJson(text)) return done(new TesseraError('invalid_request', POISONED_DESCRIPTION), undefined);
      if (error !== null) return done(error, undefined);
      const repeated = repeatedName(text);
      if (repeated !== undefined) return done(new TesseraError('invalid_request', `The body names ${JSON.stringify(repeated)} twice in one object`), undefined);
      done(null, value);
    });
  });
}
