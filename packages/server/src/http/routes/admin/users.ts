import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance } from 'fastify';
import { TesseraError } from '../../../errors.js';
import type { Tessera } from '../../../tessera.js';
import { actorOf } from '../../require-role.js';
import { errorResponses, offsetParam } from '../../schemas.js';
import { importReportJson } from '../../../users/user-import.js';
import { adminUser, adminUserSchema, signOutBody, signOutSchema, userParams } from './representations.js';

/** What the account routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type AdminUserRouteDeps = Pick<Tessera, 'admin'>;

const listQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: offsetParam,
    username: { type: 'string', minLength: 1, maxLength: 256, description: 'only the user with this name (case-insensitive)' },
  },
  additionalProperties: false,
} as const;

/** Checked further (zod's address rule) by the account admin, which answers 400 with the reason. */
const emailField = { type: 'string', maxLength: 1024, nullable: true } as const;

const createBody = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    role: { type: 'string', minLength: 1, maxLength: 32, default: 'user' },
    email: { ...emailField, description: 'optional: where Tessera can write to the user (its notices of the session sunset)' },
  },
  additionalProperties: false,
} as const;

const patchBody = {
  type: 'object',
  properties: {
    role: { type: 'string', minLength: 1, maxLength: 32, description: "new role; the user's access tokens are revoked so it applies at once" },
    disabled: { type: 'boolean', description: 'true disables the account and revokes all its tokens; false enables it' },
    email: { ...emailField, description: 'a new email address, or null to clear it; nobody is signed out' },
  },
  additionalProperties: false,
} as const;

const passwordBody = {
  type: 'object',
  required: ['password'],
  properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } },
  additionalProperties: false,
} as const;

/** At most this many users per request: send a larger import in several (it is idempotent), or use the CLI. */
const IMPORT_MAX_USERS = 10_000;
const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;

const importBody = {
  type: 'object',
  required: ['users'],
  properties: {
    users: {
      type: 'array',
      maxItems: IMPORT_MAX_USERS,
      description: 'users with their existing password hashes (bcrypt, argon2, scrypt, PBKDF2); each is checked on its own',
      items: {
        type: 'object',
        properties: {
          username: { type: 'string' },
          role: { type: 'string' },
          email: { type: 'string', nullable: true, description: 'absent or empty: an existing user keeps their address; null removes it' },
          password_hash: { type: 'string' },
        },
      },
    },
    dry_run: { type: 'boolean', default: false, description: 'check and report, writing nothing' },
  },
  additionalProperties: false,
} as const;

const importReportSchema = {
  type: 'object',
  properties: {
    dry_run: { type: 'boolean' },
    created: { type: 'integer' },
    updated: { type: 'integer' },
    unchanged: { type: 'integer' },
    kept_password: { type: 'integer', description: 'existing users with a Tessera password of their own: role and email updated, password kept' },
    signed_out: { type: 'integer', description: 'existing users whose imported password hash was replaced: signed out everywhere, as after a password change' },
    changed_meanwhile: { type: 'integer', description: 'users that changed while this import ran and were left alone' },
    schemes: { type: 'object', additionalProperties: { type: 'integer' } },
    rejected: {
      type: 'array',
      items: {
        type: 'object',
        properties: { index: { type: 'integer', description: '1-based position in users' }, username: { type: 'string', nullable: true }, reason: { type: 'string' } },
      },
    },
  },
} as const;

const security = [{ bearerAuth: [] }];
/** A disable also says what it ended (`ended`), as a sign-out does. */
const patchedUserSchema = {
  ...adminUserSchema,
  properties: { ...adminUserSchema.properties, ended: { ...signOutSchema, description: 'present when this call disabled the account' } },
} as const;

const tags = ['admin'];

/** /admin/users: create, list, show, change role, disable or enable, reset password. */
export async function adminUserRoutes(app: FastifyInstance, { tessera }: { tessera: AdminUserRouteDeps }): Promise<void> {
  const { accounts } = tessera.admin;
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();

  typed.get(
    '/users',
    {
      schema: {
        summary: 'List users, oldest first (paged with limit and offset; X-Total-Count gives the total)',
        tags,
        security,
        querystring: listQuery,
        response: { 200: { type: 'array', items: adminUserSchema }, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { username, limit, offset } = request.query;
      if (username !== undefined) {
        const found = await accounts.getByUsername(username).catch((error: unknown) => {
          if (error instanceof TesseraError && error.code === 'not_found') return undefined;
          throw error;
        });
        reply.header('x-total-count', found ? '1' : '0');
        return found ? [adminUser(found)] : [];
      }
      const { users, total } = await accounts.list({ limit, offset });
      reply.header('x-total-count', String(total));
      return users.map(adminUser);
    },
  );

  typed.post(
    '/users',
    {
      schema: {
        summary: 'Create a user',
        tags,
        security,
        body: createBody,
        response: { 201: adminUserSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const user = await accounts.create(request.body, actorOf(request));
      reply.code(201).header('location', `/admin/users/${user.id}`);
      return adminUser(user);
    },
  );

  typed.post(
    '/users/import',
    {
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: {
        summary: 'Import users with their existing password hashes; by username, so sending them again updates, never duplicates',
        tags,
        security,
        body: importBody,
        response: { 200: importReportSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (request) => {
      const records = request.body.users.map((fields, i) => ({ position: i + 1, fields: fields as Record<string, unknown> }));
      const report = await tessera.admin.imports.run(records, { dryRun: request.body.dry_run, actor: actorOf(request), source: 'api' });
      return importReportJson(report, 'index');
    },
  );

  typed.get(
    '/users/:id',
    {
      schema: {
        summary: 'Show a user',
        tags,
        security,
        params: userParams,
        response: { 200: adminUserSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => adminUser(await accounts.get(request.params.id)),
  );

  typed.patch(
    '/users/:id',
    {
      schema: {
        summary: 'Change the role or the email address, or disable (revoking every token) or enable the account',
        tags,
        security,
        params: userParams,
        body: patchBody,
        response: { 200: patchedUserSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { role, disabled, email } = request.body;
      if (role === undefined && disabled === undefined && email === undefined) {
        throw new TesseraError('invalid_request', 'body must set role, disabled or email');
      }
      const actor = actorOf(request);
      let user = await accounts.get(request.params.id);
      if (email !== undefined) user = await accounts.setEmail(user.id, email, actor);
      if (role !== undefined) user = await accounts.setRole(user.id, role, actor);
      if (disabled === undefined) return adminUser(user);
      const changed = await accounts.setDisabled(user.id, disabled, actor);
      return { ...adminUser(changed), ...(changed.ended ? { ended: signOutBody(changed.ended) } : {}) };
    },
  );

  typed.post(
    '/users/:id/password',
    {
      schema: {
        summary: 'Set a new password; the user is signed out everywhere',
        tags,
        security,
        params: userParams,
        body: passwordBody,
        response: {
          200: signOutSchema,
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      return signOutBody(await accounts.resetPassword(request.params.id, request.body.password, actorOf(request)));
    },
  );
}
