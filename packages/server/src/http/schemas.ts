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

/**
 * Where a route that starts a login puts its refresh token: `body_and_cookie` (the default) answers it in
 * the body and sets the HttpOnly cookie; `cookie` sets the cookie only, so a browser page's scripts (an
 * injected one included) never hold a refresh token.
 */
export const refreshTokenDeliverySchema = {
  type: 'string',
  enum: ['body_and_cookie', 'cookie'],
  default: 'body_and_cookie',
  description:
    'where the new refresh token goes: `body_and_cookie` (default: the body and the HttpOnly cookie) or `cookie` (the cookie only, for browser pages that refresh with it)',
} as const;

export type RefreshTokenDelivery = (typeof refreshTokenDeliverySchema.enum)[number];

/** A token pair; its refresh token is absent when it went to the cookie only. */
export const tokenPairSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in'],
  properties: {
    access_token: { type: 'string', description: 'JWT (RS256 by default) for Authorization: Bearer' },
    refresh_token: {
      type: 'string',
      description:
        'Single-use token for POST /auth/refresh (also set as the HttpOnly cookie); absent when the request asked for `refresh_token_delivery: "cookie"` or refreshed with the cookie, whose successor is in the cookie only',
    },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer', description: 'Access-token lifetime in seconds' },
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
