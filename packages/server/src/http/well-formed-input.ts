import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { TesseraError } from '../errors.js';

type Done = (error?: Error) => void;

/** Nesting followed into a body; the bodies Tessera reads are flat or one level deep. */
const MAX_DEPTH = 8;

/** Whether a string holds what no column or JSON document can store: NUL, or a half of a UTF-16 surrogate pair. */
const unstorable = (text: string): boolean => text.includes('\u0000') || !(text as string & { isWellFormed(): boolean }).isWellFormed();

/** The path of the first unstorable string (or key) in `value`, or undefined. */
function firstUnstorable(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return unstorable(value) ? path : undefined;
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (unstorable(key)) return path;
    const found = firstUnstorable(item, `${path}.${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Whether a route reads text from its request: a body, path parameters, or a query with a string field. */
function readsText(route: RouteOptions): boolean {
  const schema = route.schema as { body?: unknown; querystring?: { properties?: Record<string, { type?: unknown }> } } | undefined;
  if (route.url.includes(':') || route.url.includes('*') || schema?.body !== undefined) return true;
  return Object.values(schema?.querystring?.properties ?? {}).some((property) => property.type !== 'integer' && property.type !== 'number' && property.type !== 'boolean');
}

function refuseUnstorable(request: FastifyRequest, _reply: FastifyReply, done: Done): void {
  const where =
    firstUnstorable(request.params, 'params') ?? firstUnstorable(request.query, 'querystring') ?? firstUnstorable(request.body, 'body');
  if (where === undefined) return done();
  done(new TesseraError('invalid_request', `${where} holds a character that is not allowed (NUL or an unpaired UTF-16 surrogate)`));
}

/**
 * One rule for every route that reads text from a request: a string holding NUL or an unpaired
 * surrogate is refused with `400 invalid_request` before validation. PostgreSQL refuses both in text and
 * JSON columns (a username with NUL was a 500 there, and one audit event holding it stopped the audit
 * trail's writes); SQLite stores them, and the answer is the same on both. Routes reading no text (most
 * GETs) pay nothing.
 */
export function refuseUnstorableText(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!readsText(route)) return;
    const existing = route.preValidation;
    route.preValidation = [refuseUnstorable, ...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing])];
  });
}
