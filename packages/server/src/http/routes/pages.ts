import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import helmet from 'helmet';
import { TesseraError } from '../../errors.js';

/** Where @tessera/web's built pages are (a clone builds them with `npm run build`; a published package ships them). */
export function builtPagesDirectory(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@tessera/web/package.json')), 'dist');
}

/**
 * The pages' policy: scripts, styles, fonts, images and API calls from this origin only — no inline
 * script or style, no third party — framed by no one, forms posting nowhere else.
 */
const pagePolicy = helmet.contentSecurityPolicy({
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

/** The header helmet's middleware sets, recorded once (it depends on nothing in the request). */
function recordedPolicy(): string {
  let value = '';
  const response = { setHeader: (_name: string, header: unknown) => void (value = String(header)) };
  pagePolicy({} as never, response as never, () => undefined);
  return value;
}

/** The console's page and its own script (`assets/console-<hash>.js`), as the build names them. */
const CONSOLE_FILES = ['console.html', 'assets/console-*.js'];

/** The banner is loaded by other sites' pages as a module script: a CORS fetch, without credentials. */
const SHARED_SCRIPT = 'migration-banner.js';

/**
 * GET /account (every user), GET /console (operators; only where `console` is true) and the files they
 * load under /ui/. The pages are static: what they show comes from the API with the visitor's own
 * credentials, so a page tells nothing to someone who cannot call the API.
 */
export async function pageRoutes(app: FastifyInstance, { console: withConsole, root = builtPagesDirectory() }: { console: boolean; root?: string }): Promise<void> {
  const built = existsSync(join(root, 'account.html'));
  // Every answer of these routes, a 304 included: a browser keeps the policy of the 304 for the page it revalidated.
  const policy = recordedPolicy();
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('content-security-policy', policy);
    // Set on the reply, as the security headers are (on the raw response they would be overwritten by them).
    if (request.url.split('?', 1)[0] === `/ui/${SHARED_SCRIPT}`) reply.header('cross-origin-resource-policy', 'cross-origin');
    done();
  });
  if (!built) {
    const missing = async () => {
      throw new TesseraError('service_unavailable', 'The pages are not built: run `npm run build` in the Tessera checkout');
    };
    app.get('/account', { schema: { hide: true } }, missing);
    if (withConsole) app.get('/console', { schema: { hide: true } }, missing);
    return;
  }
  // Only the pages and their files are compressed (this plugin's routes); API answers are small and hot.
  await app.register(fastifyCompress, { encodings: ['br', 'gzip'], threshold: 1024 });
  await app.register(fastifyStatic, {
    root,
    prefix: '/ui/',
    index: false,
    cacheControl: false,
    // One route per built file (the set is fixed once built); nothing else under /ui/ is answered.
    wildcard: false,
    // Hashed file names never change; the banner's name is stable, so it is revalidated.
    setHeaders: (response, path) => {
      if (path.endsWith(SHARED_SCRIPT)) {
        response.setHeader('access-control-allow-origin', '*');
        response.setHeader('cache-control', 'public, max-age=300');
      } else if (path.includes('/assets/')) {
        response.setHeader('cache-control', 'public, max-age=31536000, immutable');
      }
    },
    allowedPath: (path) => !path.includes('.vite/'),
    // Where this listener serves no console, neither its page nor its script has a route (the admin API it calls is public).
    ...(withConsole ? {} : { globIgnore: CONSOLE_FILES }),
    schemaHide: true,
  });
  const page = (file: string) => async (_request: unknown, reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile(file);
  app.get('/account', { schema: { hide: true } }, page('account.html'));
  if (withConsole) app.get('/console', { schema: { hide: true } }, page('console.html'));
}
