import type { AuditLog } from '../audit/audit-log.js';
import type { Revoker } from '../auth/revoker.js';
import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { FamilyRecord } from '../tokens/refresh-family.js';
import type { Actor } from './actor.js';

export interface DeviceAdminOptions {
  store: Store;
  revoker: Revoker;
  audit: AuditLog;
  clock: Clock;
}

/** What signing out ended: refresh-token families (devices), unexpired access tokens and legacy sessions. */
export interface SignOutResult {
  families: number;
  accessTokens: number;
  sessions: number;
}

/**
 * A user's logged-in devices — one refresh-token family per login — and signing them out, one or all.
 * Revocation goes through the revoker: this instance refuses the access tokens at once, other
 * instances within their revocation poll (500 ms).
 */
export class DeviceAdmin {
  constructor(private readonly options: DeviceAdminOptions) {}

  /** Live families, most recently used first. */
  list(userId: string): Promise<FamilyRecord[]> {
    return this.options.store.families.list(userId, this.options.clock.now());
  }

  /**
   * Signs out one device. With `userId`, the family must be that user's (a family of someone else is
   * "not found"). Revoking a family already revoked changes nothing and succeeds.
   */
  async signOut(familyId: string, actor: Actor, userId?: string): Promise<SignOutResult & { family: FamilyRecord }> {
    const family = await this.options.store.families.find(familyId);
    if (!family || (userId !== undefined && family.userId !== userId)) {
      throw new TesseraError('not_found', `No session (refresh-token family) with id ${JSON.stringify(familyId)}${userId ? ' for this user' : ''}`);
    }
    if (family.revokedAt !== null) return { family, families: 0, accessTokens: 0, sessions: 0 };
    const revoked = await this.options.revoker.revokeFamily(family.id, 'admin_sign_out');
    this.options.audit.record({
      type: 'admin.family.revoke',
      userId: family.userId,
      actor: actor.id,
      client: actor.client,
      detail: { familyId: family.id, revokedAccessTokens: revoked.length },
    });
    return { family, families: 1, accessTokens: revoked.length, sessions: 0 };
  }

  /** Signs the user out everywhere: every family, unexpired access token and legacy session; nothing issued before now works. */
  async signOutEverywhere(userId: string, actor: Actor): Promise<SignOutResult> {
    const ended = await this.options.revoker.revokeUser(userId, 'admin_sign_out');
    this.options.audit.record({
      type: 'admin.user.sign_out',
      userId,
      actor: actor.id,
      client: actor.client,
      detail: { families: ended.families, revokedAccessTokens: ended.accessTokens, endedSessions: ended.sessions },
    });
    return ended;
  }

  /** Signs everyone out (`tokens revoke --all`): a global valid-after at now. */
  async signOutEveryone(actor: Actor): Promise<SignOutResult> {
    const ended = await this.options.revoker.revokeEveryone('admin_sign_out_all');
    this.options.audit.record({
      type: 'admin.all.sign_out',
      actor: actor.id,
      client: actor.client,
      detail: { families: ended.families, revokedAccessTokens: ended.accessTokens, endedSessions: ended.sessions },
    });
    return ended;
  }
}
