import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../../config.js';
import { TesseraError } from '../../errors.js';
import { sdkCors } from '../cors.js';

/** With the slash, the CORS plugin's preflight route in this scope is `/sdk/*`, not `/sdk*` (which /sdkx would match). */
const SDK_PREFIX = '/sdk/';
const SDK_FILE = 'tessera-client.js';
export const SDK_PATH = `${SDK_PREFIX}${SDK_FILE}`;

/** Pages cache the SDK for an hour; a new release is picked up within that. */
const CACHE_CONTROL = 'public, max-age=3600';

/**
 * GET /sdk/tessera-client.js (and its .map): the browser build of @tessera/client, as Keycloak serves
 * its JavaScript adapter, so that a page can `import` it from its Tessera without a bundler. The file
 * is the one `npm run build` wrote; it is read on first request and kept.
 */
export async function sdkRoutes(app: FastifyInstance, { config }: { config: Pick<Config, 'corsOrigins'> }): Promise<void> {
  // Its own scope under /sdk/, so that the SDK's CORS (any origin) reaches no other route.
  await app.register(async (scope) => sdkFiles(scope, config), { prefix: SDK_PREFIX });
}

async function sdkFiles(app: FastifyInstance, config: Pick<Config, 'corsOrigins'>): Promise<void> {
  await sdkCors(app, config);
  const files = new Map<string, Promise<string>>();
  const serve = (file: string, type: string) => async (_request: unknown, reply: FastifyReply) => {
    let contents = files.get(file);
    if (contents === undefined) {
      contents = readBuilt(file);
      files.set(file, contents);
      contents.catch(() => files.delete(file));
    }
    reply.type(type).header('cache-control', CACHE_CONTROL);
    return contents;
  };
  const schema = (summary: string) => ({ summary, tags: ['sdk'] });
  app.get(SDK_FILE, { schema: schema('The browser client SDK (an ES module)') }, serve('@tessera/client/browser', 'text/javascript; charset=utf-8'));
  app.get(`${SDK_FILE}.map`, { schema: schema('Source map of the browser client SDK') }, serve('@tessera/client/browser.map', 'application/json; charset=utf-8'));
}

async function readBuilt(specifier: string): Promise<string> {
  try {
    return await readFile(createRequire(import.meta.url).resolve(specifier), 'utf8');
  } catch (cause) {
    throw new TesseraError('service_unavailable', 'The browser SDK has not been built: run npm run build', { cause });
  }
}
