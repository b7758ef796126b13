import { z } from 'zod';
import type { RevokedAccessToken } from '../tokens/revoked-access-token.js';
import type { ValidAfterMove } from '../tokens/valid-after-move.js';

/**
 * What one instance tells the others. Every event is only a hint to act sooner: the database stays the
 * record, and each instance also re-reads it on a timer, so a lost event costs time, never correctness.
 *
 * Versioning (a rolling deploy runs old and new instances side by side): the envelope carries
 * `FORMAT_VERSION`. A change an older instance could misread — a new event type, a field whose meaning
 * changes, a new envelope — gets a new type name or a higher `FORMAT_VERSION`; adding an optional field
 * to an event needs neither (older instances ignore fields they do not know). An instance meeting an
 * event it does not understand never drops it silently: it re-reads from the database everything an
 * event could have told it (revocations, valid-after instants, keys, settings), as after a reconnection.
 */
export type FleetEvent =
  /** Access tokens were revoked: refuse them now. */
  | { type: 'revoked'; entries: RevokedAccessToken[] }
  /** Valid-after instants moved (a user signed out everywhere, everyone signed out, a key revoked): refuse what came before. */
  | { type: 'valid-after'; moves: ValidAfterMove[] }
  /** A signing key was created, rotated or retired: re-read the keys. */
  | { type: 'keys-changed' }
  /** Settings stored in the database changed (`topic` names which, e.g. `rollout`): re-read them. */
  | { type: 'settings-changed'; topic: string };

export type FleetEventType = FleetEvent['type'];
export type FleetEventOf<T extends FleetEventType> = Extract<FleetEvent, { type: T }>;

const FORMAT_VERSION = 1;

const revokedEntry = z.object({
  jti: z.string().min(1).max(256),
  userId: z.string().max(256),
  expiresAt: z.number().int(),
});

const validAfterMove = z.object({
  scope: z.enum(['user', 'all', 'key']),
  subject: z.string().max(256),
  at: z.number().int(),
});

const eventSchemas = {
  revoked: z.object({ type: z.literal('revoked'), entries: z.array(revokedEntry).max(1_000_000) }),
  'valid-after': z.object({ type: z.literal('valid-after'), moves: z.array(validAfterMove).max(10_000) }),
  'keys-changed': z.object({ type: z.literal('keys-changed') }),
  'settings-changed': z.object({ type: z.literal('settings-changed'), topic: z.string().min(1).max(64) }),
} satisfies { [T in FleetEventType]: z.ZodType<FleetEventOf<T>> };

const envelope = z.object({
  v: z.number().int().min(1),
  origin: z.string().min(1).max(64),
  event: z.looseObject({ type: z.string() }),
});

/** A message as it travels: who sent it (so senders can skip their own) and the event. */
export interface FleetMessage {
  origin: string;
  event: FleetEvent;
}

export function encodeFleetMessage(message: FleetMessage): string {
  return JSON.stringify({ v: FORMAT_VERSION, origin: message.origin, event: message.event });
}

export type Decoded =
  | { ok: true; message: FleetMessage }
  /**
   * A fleet message this version cannot read — a newer format, an event type it does not know, or a
   * known type in a shape it does not know — most likely from a newer instance during a rolling deploy.
   */
  | { ok: false; notUnderstood: string }
  /** Not a fleet message at all. */
  | { ok: false; malformed: string };

/** Parses and validates a message; never throws. */
export function decodeFleetMessage(raw: string): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, malformed: 'not JSON' };
  }
  const outer = envelope.safeParse(json);
  if (!outer.success) return { ok: false, malformed: 'not a fleet message' };
  const { v, origin, event } = outer.data;
  if (v > FORMAT_VERSION) return { ok: false, notUnderstood: `format version ${v} (this instance reads ${FORMAT_VERSION})` };
  if (!Object.hasOwn(eventSchemas, event.type)) return { ok: false, notUnderstood: `event type ${JSON.stringify(event.type)}` };
  const parsed = (eventSchemas as Record<string, z.ZodType<FleetEvent>>)[event.type]!.safeParse(event);
  if (!parsed.success) return { ok: false, notUnderstood: `a ${event.type} event in an unknown shape` };
  return { ok: true, message: { origin, event: parsed.data } };
}
