import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import type { Tessera } from '../../../tessera.js';
import { errorResponses, MAX_QUERY_INTEGER } from '../../schemas.js';
import { auditEvent, auditEventSchema } from './representations.js';

/** What the audit route uses (the composition root passes the whole `Tessera`; this says which of it). */
export type AdminAuditRouteDeps = Pick<Tessera, 'admin'>;

const auditQuery = {
  type: 'object',
  properties: {
    user: { type: 'string', minLength: 1, maxLength: 200, description: 'only events about this user id' },
    username: { type: 'string', minLength: 1, maxLength: 256, description: 'only events about this user (by name)' },
    type: { type: 'string', minLength: 1, maxLength: 100, description: 'only events of this type, e.g. token.reuse_detected (another value is refused with 400)' },
    since: { type: 'string', maxLength: 64, description: 'ISO 8601 time: events at or after it' },
    until: { type: 'string', maxLength: 64, description: 'ISO 8601 time: events before it' },
    before: { type: 'integer', minimum: 1, maximum: MAX_QUERY_INTEGER, description: 'only events with a smaller id (the next page)' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  },
  additionalProperties: false,
} as const;

/** GET /admin/audit: the audit trail, newest first, by user, event type and time. */
export async function adminAuditRoutes(app: FastifyInstance, { tessera }: { tessera: AdminAuditRouteDeps }): Promise<void> {
  app.withTypeProvider<JsonSchemaToTsProvider>().get(
    '/audit',
    {
      schema: {
        summary: 'Query the audit trail, newest first',
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        querystring: auditQuery,
        response: { 200: { type: 'array', items: auditEventSchema }, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { user, username, type, since, until, before, limit } = request.query;
      const events = await tessera.admin.audit.search({ userId: user, username, type, since, until, beforeId: before, limit });
      return events.map(auditEvent);
    },
  );
}
