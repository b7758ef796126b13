import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

/** The guide, found from here in both `src/http/routes/` and the compiled `dist/http/routes/`. */
const GUIDE = new URL('../../../../../docs/auth-migration-guide.md', import.meta.url);
export const MIGRATION_GUIDE_PATH = '/docs/auth-migration-guide.md';

/**
 * GET /docs/auth-migration-guide.md: the migration guide itself, so that the default target of the
 * `Link: <…>; rel="deprecation"` header on session responses resolves against this server.
 */
export async function migrationGuideRoutes(app: FastifyInstance): Promise<void> {
  const guide = await readFile(GUIDE, 'utf8');
  app.get(MIGRATION_GUIDE_PATH, { schema: { summary: 'The session-to-JWT migration guide (Markdown)', tags: ['docs'] } }, async (_request, reply) => {
    reply.type('text/markdown; charset=utf-8').header('cache-control', 'public, max-age=3600');
    return guide;
  });
}
