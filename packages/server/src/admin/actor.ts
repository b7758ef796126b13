import type { ClientInfo } from '../tokens/refresh-family.js';

/** Who performs an admin action — an admin's user id over HTTP, `cli` on the command line — and from where. */
export interface Actor {
  id: string;
  client?: ClientInfo;
}

/** The command line acts on the database directly; its audit events name `cli` as the actor. */
export const CLI_ACTOR: Actor = { id: 'cli' };
