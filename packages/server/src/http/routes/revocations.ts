import sse from '@fastify/sse';
import { REVOCATION_FEED_EVENTS, formatFeedPosition, parseFeedPosition, type FeedPosition } from '@tessera/contract';
import { FIRST_PARTY_CLIENT_ID, isServiceToken } from '@tessera/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidTokenError, TesseraError } from '../../errors.js';
import type { Tessera } from '../../tessera.js';
import type { FeedUpdate } from '../../tokens/revocation-feed.js';
import { RevocationEvents, toFeedData, type FeedEvent } from '../../tokens/revocation-events.js';
import { bearerToken, requireAccessToken, type Principal } from '../authenticate.js';

/** What a subscriber may leave unread before it is disconnected (it reconnects and resumes). */
const MAX_UNREAD_BYTES = 4 * 1024 * 1024;

/** What the revocation feed uses (the composition root passes the whole `Tessera`; this says which of it). */
export type RevocationFeedRouteDeps = Pick<Tessera, 'accessTokens' | 'clock' | 'config' | 'logger' | 'revocationFeed' | 'store'>;

/**
 * Who may follow the feed: a service with its own token (client credentials: `client_id` is the
 * service's, never the first-party client's) and an admin signed in. A user's token never, whatever its
 * role is called: roles are free-form, and a user named `service` is still a user.
 */
export function mayFollowFeed(principal: Principal): boolean {
  if (principal.via !== 'jwt') return false;
  if (principal.clientId === FIRST_PARTY_CLIENT_ID) return principal.role === 'admin';
  return isServiceToken({ client_id: principal.clientId, role: principal.role });
}

/** onRequest hook: a valid access token (401 otherwise) of a service or an admin (else 403 `insufficient_scope`). */
function requireFeedReader(accessTokens: Tessera['accessTokens'], audiences: string[]) {
  const authenticate = requireAccessToken(accessTokens, { services: true, audiences });
  return function authorize(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void {
    authenticate(request, reply, (error) => {
      if (error) return done(error);
      if (!mayFollowFeed(request.principal!)) {
        return done(new TesseraError('insufficient_scope', "The revocation feed requires a service's own access token (client credentials) or an admin's"));
      }
      done();
    });
  };
}

/**
 * The audiences a feed token may name: Tessera itself (its issuer, the `resource` a service asks for to
 * read the feed) and JWT_AUDIENCE (operators' tokens, and a service's token for this API).
 */
const feedAudiences = (config: Tessera['config']) => [config.issuer, config.audience];

/**
 * GET /auth/revocations: the revocation feed for services that verify tokens themselves, as
 * Server-Sent Events (format in `@tessera/contract`, `revocation-feed.ts`): a snapshot, then each
 * revocation as this instance learns of it — at once from itself or the fleet's Redis events, within
 * the poll interval from the database — with ids that resume on any instance.
 */
export async function revocationFeedRoutes(app: FastifyInstance, { tessera }: { tessera: RevocationFeedRouteDeps }): Promise<void> {
  // The package is CommonJS typed as an ES module: its plugin is `.default` for TypeScript and at run time alike.
  await app.register(sse.default, { heartbeatInterval: tessera.config.background.revocationFeedHeartbeatMs });
  const events = new RevocationEvents({
    store: tessera.store,
    feed: tessera.revocationFeed,
    clock: tessera.clock,
    accessTokenTtl: tessera.config.accessTokenTtl,
  });
  app.get(
    '/revocations',
    {
      sse: true,
      onRequest: requireFeedReader(tessera.accessTokens, feedAudiences(tessera.config)),
      schema: {
        summary: 'Revocation feed (Server-Sent Events) for services that verify access tokens themselves',
        tags: ['auth'],
        security: [{ bearerAuth: [] }],
        headers: {
          type: 'object',
          properties: { 'last-event-id': { type: 'string', maxLength: 64, description: 'resume after this event id' } },
        },
      },
    },
    async (request, reply) => {
      if (!reply.sse) {
        throw new TesseraError('invalid_request', 'The revocation feed is a Server-Sent Events stream: send "Accept: text/event-stream"');
      }
      const subscriber = { token: bearerToken(request)!, principal: request.principal!, audiences: feedAudiences(tessera.config) };
      await follow(reply, events, tessera, parseFeedPosition(reply.sse.lastEventId), subscriber);
    },
  );
}

/**
 * Sends the first event (a snapshot, or what was missed since `from`), then every update. Updates
 * arriving while the first event is read are held and sent after it, less what it already covered:
 * none is lost between the two, and a repeat is harmless (revocations only accumulate).
 */
async function follow(reply: FastifyReply, events: RevocationEvents, tessera: RevocationFeedRouteDeps, from: FeedPosition | undefined, subscriber: Subscriber): Promise<void> {
  const sse = reply.sse!;
  sse.keepAlive();
  let held: FeedUpdate[] | undefined = [];
  let position: FeedPosition | undefined;
  const send = (event: string, { position: at, data }: FeedEvent) =>
    sse.send({ id: formatFeedPosition(at), event, data }).catch((error: unknown) => {
      tessera.logger.debug({ err: error }, 'revocation feed subscriber gone');
      sse.close();
    });
  const deliver = (update: FeedUpdate) => {
    if (held) return void held.push(update);
    if (mayEnd(update, subscriber.principal)) void endIfRevoked(sse, tessera, subscriber);
    // A subscriber that stopped reading is let go rather than buffered for without end; it resumes from its last id.
    if (reply.raw.writableLength > MAX_UNREAD_BYTES) return sse.close();
    if (!position || (update.cursor.revocations <= position.revocations && update.cursor.moves <= position.moves)) return;
    position = { revocations: Math.max(position.revocations, update.cursor.revocations), moves: Math.max(position.moves, update.cursor.moves) };
    void send(REVOCATION_FEED_EVENTS.revocations, { position, data: toFeedData(update.entries, update.moves) });
  };
  const unwatch = tessera.revocationFeed.watch(deliver);
  sse.onClose(unwatch);

  const resumed = from && (await events.since(from));
  const first = resumed ?? (await events.snapshot());
  position = first.position;
  // A resumed connection gets its catch-up even when empty: the first event tells the subscriber it is current.
  await send(resumed ? REVOCATION_FEED_EVENTS.revocations : REVOCATION_FEED_EVENTS.snapshot, first);
  const pending = held;
  held = undefined;
  for (const update of pending) deliver(update);
}

/** Who opened a stream, with the token it was opened with. */
interface Subscriber {
  token: string;
  principal: Principal;
  audiences: string[];
}

/** Whether an update may have ended the subscriber's own token: its jti, its user or service, everyone, a key. */
function mayEnd(update: FeedUpdate, principal: Principal): boolean {
  if (principal.via === 'jwt' && update.entries.some((entry) => entry.jti === principal.jti)) return true;
  return update.moves.some((move) => move.scope !== 'user' || move.subject === principal.userId);
}

/**
 * A stream lasts only as long as the token it was opened with is not revoked: a revoked service (or an
 * operator signed out) stops hearing revocations at once. Expiry alone does not end it; reconnecting does.
 */
async function endIfRevoked(sse: NonNullable<FastifyReply['sse']>, tessera: RevocationFeedRouteDeps, { token, audiences }: Subscriber): Promise<void> {
  let revoked: boolean;
  try {
    revoked = await tessera.accessTokens.revokedSince(token, audiences);
  } catch (error) {
    // A token that no longer verifies (its key was revoked) is as good as revoked.
    revoked = error instanceof InvalidTokenError;
    if (!revoked) tessera.logger.warn({ err: error }, 'revocation feed: could not check whether a subscriber was revoked');
  }
  if (!revoked) return;
  tessera.logger.info('revocation feed: the subscriber\'s token was revoked, stream closed');
  sse.close();
}
