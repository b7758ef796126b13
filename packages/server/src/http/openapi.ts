import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI 3 generated from the route schemas — the same schemas that validate requests — served at
 * /openapi.json, with Swagger UI at /docs.
 */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tessera',
        version,
        description:
          'Stateless JWT authentication: login, refresh-token rotation, logout, protected APIs, the admin API (/admin/*) and metrics.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'session_id', description: 'deprecated: legacy sessions' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when set' },
          clientBasic: { type: 'http', scheme: 'basic', description: 'service credentials: client_id and client_secret (tessera services add)' },
        },
      },
    },
  });
  // Swagger UI needs its own scripts and styles: its pages replace the API's `default-src 'none'` with
  // the plugin's policy for them, framed by no one. upgrade-insecure-requests is left out, as it would
  // send the page's own requests to https on a plain-http development server.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: (policy) =>
      policy.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(/\s*upgrade-insecure-requests;?/, ''),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
