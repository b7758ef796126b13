import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

export const MIGRATION_GUIDE_PATH = '/docs/auth-migration-guide.md';

/**
 * Where the guide is: in the build (`dist/docs/`, copied there by `scripts/copy-docs.mjs`), which is all a
 * packaged server has; else, running the sources in a checkout, in the repository's `docs/`.
 */
const BUILT = new URL('../../docs/auth-migration-guide.md', import.meta.url);
const CHECKOUT = new URL('../../../../../docs/auth-migration-guide.md', import.meta.url);

/**
 * GET /docs/auth-migration-guide.md: the migration guide itself, so that the default target of the
 * `Link: <…>; rel="deprecation"` header on session responses resolves against this server.
 */
export async function migrationGuideRoutes(app: FastifyInstance): Promise<void> {
  const guide = await readFile(BUILT, 'utf8').catch(() => readFile(CHECKOUT, 'utf8'));
  app.get(MIGRATION_GUIDE_PATH, { schema: { summary: 'The session-to-JWT migration guide (Markdown)', tags: ['docs'] } }, async (_request, reply) => {
    reply.type('text/markdown; charset=utf-8').header('cache-control', 'public, max-age=3600');
    return guide;
  });
}
