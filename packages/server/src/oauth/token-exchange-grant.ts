import type { AuditLog } from '../audit/audit-log.js';
import { requireJwtEnabled } from '../auth/jwt-rollout-gate.js';
import type { TokenPairIssuer } from '../auth/token-pair.js';
import type { Clock } from '../clock.js';
import { TesseraError, TokenExchangeWithdrawnError } from '../errors.js';
import type { RolloutPolicy } from '../rollout/rollout-policy.js';
import type { Store } from '../store/store.js';
import type { UserRecord } from '../users/user.js';
import { normalizeUsername } from '../users/username.js';
import { ROLES_NEVER_EXCHANGED } from '../users/roles.js';
import type { ServiceClientRecord } from './service-client.js';
import type { GrantHandler, TokenRequest } from './token-grants.js';

/** RFC 8693 §2.1: the grant type of a token exchange. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The subject token types Tessera defines (RFC 8693 §3 lets a server define its own): the user's id or username. */
export const USER_ID_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:user-id';
export const USERNAME_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:username';
/** RFC 8693 §3: what the exchange issues (with a refresh token beside it). */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const SUBJECT_TYPES: Record<string, 'user-id' | 'username'> = {
  [USER_ID_TOKEN_TYPE]: 'user-id',
  [USERNAME_TOKEN_TYPE]: 'username',
};

export interface TokenExchangeOptions {
  store: Store;
  tokenPairs: TokenPairIssuer;
  rollout: RolloutPolicy;
  audit: AuditLog;
  clock: Clock;
  /** JWT_AUDIENCE: the only audience an exchanged token can have (a user's token for this API). */
  apiAudience: string;
}

/** Why an exchange was refused, as the `token.exchange_refused` audit event says. */
type RefusalReason = 'not_allowed' | 'unknown_user' | 'disabled' | 'role' | 'withdrawn';

/**
 * RFC 8693 token exchange as a session hand-off: the team's own app, which knows from its own session
 * who is signed in, trades that user for a token pair — a new login, as `POST /auth/session/exchange`
 * starts for Tessera's sessions. Only a service an operator allowed may do it; an admin or a user with
 * the service role is never handed over; a disabled user is refused; the rollout applies exactly as at
 * login. Every refusal of a named user or of the service itself is audited with the service's name.
 */
export function tokenExchangeGrant(options: TokenExchangeOptions): GrantHandler<ServiceClientRecord> {
  return async ({ client, params, from }) => {
    const { store, tokenPairs, rollout, audit, clock } = options;
    const refuse = (reason: RefusalReason, error: TesseraError, user?: UserRecord): TesseraError => {
      const subjectTokenType = typeof params.subject_token_type === 'string' ? SUBJECT_TYPES[params.subject_token_type] : undefined;
      audit.record({
        type: 'token.exchange_refused',
        userId: user?.id ?? null,
        actor: client.clientId,
        client: from,
        detail: { service: client.name, reason, ...(reason === 'role' ? { role: user?.role } : {}), ...(subjectTokenType ? { subjectTokenType } : {}) },
      });
      return error;
    };
    if (client.tokenExchangeAt === null) {
      throw refuse(
        'not_allowed',
        new TesseraError(
          'unauthorized_client',
          `The service ${client.name} may not exchange tokens; an operator allows it with: tessera services token-exchange ${client.name} on`,
        ),
      );
    }
    const subject = requestedSubject(params, options.apiAudience);
    // Read before the user row: a sign-out everywhere or a disable from this instant on refuses the new login.
    const authenticatedAt = clock.now();
    const user = subject.type === 'user-id' ? await store.users.findById(subject.value) : await store.users.findByUsername(normalizeUsername(subject.value));
    if (!user) throw refuse('unknown_user', invalidRequest(`No user with this ${subject.type === 'user-id' ? 'id' : 'username'}`));
    if (user.disabledAt !== null) throw refuse('disabled', invalidRequest('The account is disabled'), user);
    if (ROLES_NEVER_EXCHANGED.includes(user.role)) throw refuse('role', invalidRequest(roleRefusal(user.role)), user);
    requireJwtEnabled(rollout, audit, user, from, 'token_exchange');
    let pair;
    try {
      pair = await tokenPairs.startFamily(user, from, { authenticatedAt, serviceClientId: client.clientId });
    } catch (error) {
      if (error instanceof TokenExchangeWithdrawnError) throw refuse('withdrawn', error, user);
      throw error;
    }
    audit.record({
      type: 'token.exchange',
      userId: user.id,
      actor: client.clientId,
      client: from,
      detail: { service: client.name, familyId: pair.family.id, subjectTokenType: subject.type },
    });
    return {
      access_token: pair.accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: pair.expiresIn,
      refresh_token: pair.refreshToken,
    };
  };
}

function roleRefusal(role: string): string {
  return role === 'admin'
    ? 'An admin cannot be handed over by a service; admins log in with their password (POST /auth/login)'
    : `A user with the role ${role} cannot be handed over by a service: it is a service's role; such a user logs in with their password`;
}

interface Subject {
  type: 'user-id' | 'username';
  value: string;
}

/** The user the request names, after refusing what Tessera does not offer (delegation, other token types or audiences). */
function requestedSubject(params: TokenRequest<unknown>['params'], apiAudience: string): Subject {
  const { subject_token: token, subject_token_type: tokenType, requested_token_type: requested } = params;
  if (typeof token !== 'string' || token === '') throw invalidRequest('subject_token is required: the id or username of the signed-in user');
  const type = typeof tokenType === 'string' ? SUBJECT_TYPES[tokenType] : undefined;
  if (!type) throw invalidRequest(`subject_token_type must be ${USER_ID_TOKEN_TYPE} or ${USERNAME_TOKEN_TYPE}`);
  if (requested !== undefined && requested !== ACCESS_TOKEN_TYPE) throw invalidRequest(`requested_token_type can only be ${ACCESS_TOKEN_TYPE}`);
  if (params.actor_token !== undefined || params.actor_token_type !== undefined) {
    throw invalidRequest('Delegation (actor_token) is not supported: the tokens are the user\'s own');
  }
  for (const target of [params.audience, params.resource].flat()) {
    if (target !== undefined && target !== apiAudience) {
      throw new TesseraError('invalid_target', `An exchanged token is a user's token for ${apiAudience}; it cannot be issued for ${target}`);
    }
  }
  return { type, value: token };
}

function invalidRequest(description: string): TesseraError {
  return new TesseraError('invalid_request', description);
}
