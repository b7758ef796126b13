import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Tessera } from '../../tessera.js';
import { authenticate as authenticateCaller, type AuthenticationDeps } from '../authenticate.js';
import { clientInfo } from '../client-info.js';
import { CONFIRMATION_MAILS_PER_HOUR, type CredentialBudgets } from '../credential-budgets.js';
import type { ConfirmationMail } from '../../account/email-verification.js';
import { errorResponses, refreshTokenDeliverySchema, tokenPairSchema } from '../schemas.js';
import { sendTokenPair } from '../token-pair-reply.js';
import { hasVerifiedEmail, type UserRecord } from '../../users/user.js';
import { AUTH_BODY_LIMIT } from './auth.js';
import { family, familySchema, signOutBody, signOutSchema } from './admin/representations.js';

/** What the account routes use (the composition root passes the whole `Tessera`; this says which of it). */
export type AccountRouteDeps = Pick<Tessera, 'ownAccount'> & AuthenticationDeps;

const deviceSchema = {
  ...familySchema,
  required: [...familySchema.required, 'current'],
  properties: { ...familySchema.properties, current: { type: 'boolean', description: 'the device making this request' } },
} as const;

const accountSchema = {
  type: 'object',
  required: ['id', 'username', 'role', 'email', 'email_verified', 'created_at'],
  properties: {
    id: { type: 'string' },
    username: { type: 'string' },
    role: { type: 'string' },
    email: { type: 'string', nullable: true, description: 'where Tessera writes to you (notices of the session sunset); null when none' },
    email_verified: {
      type: 'boolean',
      description: 'whether the address is confirmed (by the link mailed to it, or because an operator set it); Tessera mails only a confirmed address',
    },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const confirmationSchema = {
  ...accountSchema,
  properties: {
    ...accountSchema.properties,
    email_confirmation: {
      type: 'string',
      enum: ['sent', 'mail_not_configured', 'not_sent'],
      description:
        'for a new address: `sent` (a confirmation link went to it), `mail_not_configured` (this server sends no mail, so the address cannot be confirmed until an operator configures it), `not_sent` (the mail server did not take the message: ask again later)',
    },
  },
} as const;

const account = (user: UserRecord) => ({
  id: user.id,
  username: user.username,
  role: user.role,
  email: user.email,
  email_verified: hasVerifiedEmail(user),
  created_at: new Date(user.createdAt).toISOString(),
});

const withConfirmation = ({ user, confirmation }: { user: UserRecord; confirmation?: ConfirmationMail }) => ({
  ...account(user),
  ...(confirmation === undefined ? {} : { email_confirmation: confirmation }),
});

const deviceParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'device (refresh-token family) id' } },
} as const;

const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const passwordChangeBody = {
  type: 'object',
  required: ['current_password', 'new_password'],
  properties: { current_password: password, new_password: password, refresh_token_delivery: refreshTokenDeliverySchema },
  additionalProperties: false,
} as const;
const emailChangeBody = {
  type: 'object',
  required: ['password', 'email'],
  properties: {
    password: { ...password, description: 'your current password: a stolen token alone cannot change where your mail goes' },
    email: { type: 'string', maxLength: 1024, nullable: true, description: 'the new address, or null to remove it' },
  },
  additionalProperties: false,
} as const;
const confirmBody = {
  type: 'object',
  required: ['token'],
  properties: { token: { type: 'string', minLength: 1, maxLength: 200, description: 'the token of the link mailed to your address (after `#confirm-email=`)' } },
  additionalProperties: false,
} as const;
const reauthBody = { type: 'object', required: ['password'], properties: { password }, additionalProperties: false } as const;

const tags = ['account'];
const security: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { sessionCookie: [] }];

const jtiOf = (request: FastifyRequest) => (request.principal?.via === 'jwt' ? request.principal.jti : undefined);

/**
 * /api/me/*: the signed-in user's own account — the account page's API. Any credential of the user
 * works (access token, or a session cookie from this site); password checks spend the login budget.
 */
export async function accountRoutes(app: FastifyInstance, { tessera, budgets }: { tessera: AccountRouteDeps; budgets: CredentialBudgets }): Promise<void> {
  const typed = app.withTypeProvider<JsonSchemaToTsProvider>();
  // JSON bodies only: a text/plain body is what a cross-site form or "simple" fetch can send (415).
  app.removeContentTypeParser('text/plain');
  const authenticate = authenticateCaller(tessera);
  const own = tessera.ownAccount;

  app.get(
    '/me/account',
    { onRequest: authenticate, schema: { summary: 'Your account: name and role', tags, security, response: { 200: accountSchema, ...errorResponses(401) } } },
    async (request) => {
      return account(await own.profile(request.principal!.userId));
    },
  );

  typed.put(
    '/me/email',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      onRequest: [authenticate, budgets.credential],
      schema: {
        summary:
          'Set or remove your email address; your current password is required (a wrong one counts as a failed login). A new address is unverified until you open the link mailed to it',
        tags,
        security,
        body: emailChangeBody,
        response: { 200: confirmationSchema, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request) => {
      const { password: current, email } = request.body;
      // A new address is mailed a link: that spends the same hourly budget as asking again; a wrong
      // password, an address refused or its removal send nothing and spend none of it.
      const mail = () => budgets.confirmationMail(request);
      return withConfirmation(await own.changeEmail(request.principal!.userId, current, email, clientInfo(request), mail));
    },
  );

  app.post(
    '/me/email/confirmation',
    {
      onRequest: authenticate,
      schema: {
        summary: `Mail a new confirmation link to your unverified address (the one before stops working); at most ${CONFIRMATION_MAILS_PER_HOUR} an hour`,
        tags,
        security,
        response: { 200: confirmationSchema, ...errorResponses(401, 409, 429) },
      },
    },
    async (request) => withConfirmation(await own.resendEmailConfirmation(request.principal!.userId, () => budgets.confirmationMail(request))),
  );

  typed.post(
    '/me/email/confirm',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      onRequest: authenticate,
      schema: {
        summary: 'Confirm your email address with the token of the link mailed to it; it works once, within 24 hours, for the account that asked',
        tags,
        security,
        body: confirmBody,
        response: { 200: accountSchema, ...errorResponses(400, 401, 413, 415) },
      },
    },
    async (request) => account(await own.confirmEmail(request.principal!.userId, request.body.token, clientInfo(request))),
  );

  app.get(
    '/me/devices',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Your signed-in devices (one per login), most recently used first; `current` marks this one',
        tags,
        security,
        response: { 200: { type: 'array', items: deviceSchema }, ...errorResponses(401) },
      },
    },
    async (request) => (await own.devices(request.principal!.userId, jtiOf(request))).map((d) => ({ ...family(d), current: d.current })),
  );

  typed.delete(
    '/me/devices/:id',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Sign out one of your devices',
        tags,
        security,
        params: deviceParams,
        response: { 200: signOutSchema, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => signOutBody(await own.signOutDevice(request.principal!.userId, request.params.id, clientInfo(request))),
  );

  app.delete(
    '/me/devices',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Sign out everywhere: every device, access token and session of yours, this one included',
        tags,
        security,
        response: { 200: signOutSchema, ...errorResponses(401, 403) },
      },
    },
    async (request) => signOutBody(await own.signOutEverywhere(request.principal!.userId, clientInfo(request))),
  );

  typed.post(
    '/me/password',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      onRequest: [authenticate, budgets.credential],
      schema: {
        summary: 'Change your password: every other device is signed out, and this one gets a new token pair',
        tags,
        security,
        body: passwordChangeBody,
        response: { 200: tokenPairSchema, ...errorResponses(400, 401, 403, 413, 415, 429, 503) },
      },
    },
    async (request, reply) => {
      const pair = await own.changePassword(request.principal!.userId, request.body.current_password, request.body.new_password, clientInfo(request));
      return sendTokenPair(reply, pair, request.body.refresh_token_delivery);
    },
  );

  typed.post(
    '/me/reauth',
    {
      bodyLimit: AUTH_BODY_LIMIT,
      onRequest: [authenticate, budgets.credential],
      schema: {
        summary: 'Confirm your password again (the console asks before a destructive action)',
        tags,
        security,
        body: reauthBody,
        response: {
          200: {
            type: 'object',
            required: ['status', 'reauth_token', 'expires_in'],
            properties: {
              status: { type: 'string', enum: ['confirmed'] },
              reauth_token: { type: 'string', description: 'send it in the Tessera-Reauth header with admin changes made with this same login (access token or session)' },
              expires_in: { type: 'integer', description: 'seconds the proof holds (300)' },
            },
          },
          ...errorResponses(400, 401, 403, 413, 415, 429, 503),
        },
      },
    },
    async (request) => {
      const proof = await own.confirmPassword(request.principal!, request.body.password, clientInfo(request));
      return { status: 'confirmed' as const, reauth_token: proof.token, expires_in: proof.expiresIn };
    },
  );
}
