import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../support/routes.js';
import { startTestInstance, type TestInstance } from '../support/tessera.js';

interface Operation {
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  responses: Record<string, unknown>;
}
type OpenApiDocument = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  let t: TestInstance;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    t = await startTestInstance();
    const response = await t.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    doc = response.json<OpenApiDocument>();
  });
  afterAll(() => t.close());

  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('lists every route the server answers, except itself and Swagger UI', () => {
    const expected = registeredRoutes(t.app)
      .filter((route) => !route.startsWith('HEAD '))
      // The CORS preflight route (@fastify/cors answers every OPTIONS for the paths pages may call).
      .filter((route) => route !== 'OPTIONS *')
      // Swagger UI's own routes (/docs, /docs/static/*, /docs/json, …), not the documents served under /docs.
      .filter((route) => !/ \/(openapi\.json|docs(\/(\*|static\/.*|json|yaml|uiConfig|initOAuth)?)?)$/.test(route))
      .map((route) => route.replace(/:(\w+)/g, '{$1}'));
    // A sanity check on the route reader, so this test cannot pass by reading nothing.
    expect(expected).toEqual(expect.arrayContaining(['POST /auth/login', 'GET /admin/users/{id}', 'DELETE /admin/users/{id}/families/{familyId}', 'GET /metrics', 'GET /docs/auth-migration-guide.md']));
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(expected.sort());
  });

  it('marks every admin operation as needing a bearer token and documents its 401 and 403', () => {
    const admin = Object.entries(doc.paths).filter(([path]) => path.startsWith('/admin/'));
    expect(admin.length).toBeGreaterThanOrEqual(8);
    for (const [, operations] of admin) {
      for (const operation of Object.values(operations)) {
        expect(operation.tags).toEqual(['admin']);
        expect(operation.security).toEqual([{ bearerAuth: [] }]);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
    }
  });

  it('is browsable in Swagger UI at /docs', async () => {
    const page = await t.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect((await t.app.inject({ url: '/docs/json' })).json()).toEqual(doc);
  });
});
