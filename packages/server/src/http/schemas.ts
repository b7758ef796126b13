/** JSON schemas shared by several routes: they validate input, speed up output and document the API. */

export const errorSchema = {
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', description: 'Stable error code' },
    error_description: { type: 'string', description: 'What went wrong, for people' },
    reason: {
      type: 'string',
      enum: ['malformed', 'expired', 'revoked', 'reused', 'unknown', 'user_disabled'],
      description: 'invalid_grant only: why the refresh token was refused (reused: every token of that login was revoked)',
    },
  },
} as const;

/**
 * The largest whole number a request may carry in a query: exact in JavaScript and within both
 * databases' 64-bit integers (a larger one was handed to the database and failed there with a 500).
 */
export const MAX_QUERY_INTEGER = Number.MAX_SAFE_INTEGER;

/** `offset` of a paged list. */
export const offsetParam = { type: 'integer', minimum: 0, maximum: MAX_QUERY_INTEGER, default: 0 } as const;

export const tokenPairSchema = {
  type: 'object',
  required: ['access_token', 'refresh_token', 'token_type', 'expires_in'],
  properties: {
    access_token: { type: 'string', description: 'JWT (RS256 by default) for Authorization: Bearer' },
    refresh_token: { type: 'string', description: 'Single-use token for POST /auth/refresh (also set as a cookie)' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', description: 'Access-token lifetime in seconds' },
  },
} as const;

/** POST /auth/refresh's answer: a refresh made with the cookie gets its successor in the cookie only. */
export const refreshedPairSchema = {
  ...tokenPairSchema,
  required: ['access_token', 'token_type', 'expires_in'],
  properties: {
    ...tokenPairSchema.properties,
    refresh_token: {
      type: 'string',
      description: 'Single-use token for the next refresh (also set as a cookie); absent when this refresh was made with the cookie, whose successor is in the cookie only',
    },
  },
} as const;

export const publicUserSchema = {
  type: 'object',
  required: ['id', 'username', 'role', 'created_at'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    role: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

/** Responses every route may give, by status. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, errorSchema]));
