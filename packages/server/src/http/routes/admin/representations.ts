import type { KeyDescription } from '../../../admin/keys.js';
import type { AuditEventRecord } from '../../../audit/audit-event.js';
import type { FamilyRecord } from '../../../tokens/refresh-family.js';
import { hasVerifiedEmail, type PublicUser } from '../../../users/user.js';

/** The JSON shapes of the admin API — schemas (validation, serialisation, OpenAPI) beside their mappers. */

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: 'string', format: 'date-time', nullable: true } as const;
const nullableString = { type: 'string', nullable: true } as const;

export const adminUserSchema = {
  type: 'object',
  required: ['id', 'username', 'role', 'email', 'email_verified', 'created_at', 'updated_at', 'disabled_at'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    role: { type: 'string' },
    email: { ...nullableString, description: 'where Tessera can write to the user (set by an admin, the user, an import or the lazy migration); null when unknown' },
    email_verified: {
      type: 'boolean',
      description: 'whether Tessera may mail the address: set by an operator (who vouches for it), an import or the lazy migration, or confirmed by the user through the link mailed to it',
    },
    created_at: time,
    updated_at: time,
    disabled_at: { ...nullableTime, description: 'when the account was disabled; null while it is enabled' },
  },
} as const;

export const adminUser = (user: PublicUser) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  email: user.email,
  email_verified: hasVerifiedEmail(user),
  created_at: iso(user.createdAt),
  updated_at: iso(user.updatedAt),
  disabled_at: isoOrNull(user.disabledAt),
});

export const familySchema = {
  type: 'object',
  description: 'A logged-in device: one refresh-token family per login',
  required: ['id', 'created_at', 'last_used_at', 'ip', 'user_agent'],
  properties: {
    id: { type: 'string' },
    created_at: { ...time, description: 'login time' },
    last_used_at: { ...time, description: 'last login or refresh' },
    ip: { ...nullableString, description: 'client address at the last login or refresh' },
    user_agent: { ...nullableString, description: 'User-Agent at the last login or refresh' },
  },
} as const;

export const family = (record: FamilyRecord) => ({
  id: record.id,
  created_at: iso(record.createdAt),
  last_used_at: iso(record.lastUsedAt),
  ip: record.ip,
  user_agent: record.userAgent,
});

export const signOutSchema = {
  type: 'object',
  required: ['revoked_families', 'revoked_access_tokens', 'ended_sessions'],
  properties: {
    revoked_families: { type: 'integer', description: 'devices signed out' },
    revoked_access_tokens: { type: 'integer', description: 'unexpired access tokens refused from now on' },
    ended_sessions: { type: 'integer', description: 'legacy cookie sessions (POST /api/login) ended' },
  },
} as const;

/** What a sign-out, a password reset or a disable ended, as the admin API reports it. */
export const signOutBody = (result: { families: number; accessTokens: number; sessions: number }) => ({
  revoked_families: result.families,
  revoked_access_tokens: result.accessTokens,
  ended_sessions: result.sessions,
});

export const keySchema = {
  type: 'object',
  required: ['kid', 'use', 'alg', 'state', 'created_at', 'retires_at'],
  properties: {
    kid: { type: 'string' },
    use: { type: 'string', enum: ['access', 'refresh'], description: 'access keys sign access tokens (and are in the JWKS); refresh keys sign refresh tokens' },
    alg: { type: 'string' },
    state: { type: 'string', enum: ['active', 'retiring'], description: 'active signs; retiring only verifies what it signed' },
    created_at: time,
    retires_at: { ...nullableTime, description: 'when a retiring key leaves the JWKS and is deleted; null for the active key' },
  },
} as const;

export const key = (description: KeyDescription) => ({
  kid: description.kid,
  use: description.use,
  alg: description.alg,
  state: description.state,
  created_at: iso(description.createdAt),
  retires_at: isoOrNull(description.expiresAt),
});

export const auditEventSchema = {
  type: 'object',
  required: ['id', 'at', 'type', 'user_id', 'actor', 'ip', 'user_agent', 'detail'],
  properties: {
    id: { type: 'integer', description: 'increasing; pass the last one as `before` for the next page' },
    at: time,
    type: { type: 'string', description: 'e.g. login.success, login.failure, token.refresh, token.reuse_detected, logout, rate_limited, admin.user.disable' },
    user_id: { ...nullableString, description: 'the user concerned' },
    actor: { ...nullableString, description: 'who acted, when not the user: an admin user id, or cli' },
    ip: nullableString,
    user_agent: nullableString,
    detail: { type: 'object', nullable: true, additionalProperties: true },
  },
} as const;

export const auditEvent = (event: AuditEventRecord) => ({
  id: event.id,
  at: iso(event.at),
  type: event.type,
  user_id: event.userId,
  actor: event.actor,
  ip: event.ip,
  user_agent: event.userAgent,
  detail: event.detail,
});

export const userParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'user id' } },
} as const;
