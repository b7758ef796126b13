import type { Revoker } from '../auth/revoker.js';
import type { Store } from '../store/store.js';
import type { RolloutPolicy } from './rollout-policy.js';

const PAGE = 500;

/**
 * For a rollback that must not wait for tokens to expire: revokes the refresh-token families and
 * access tokens of every user now outside the rollout, so they fall back to sessions at once. Running
 * servers refuse the access tokens as soon as they poll the revocations (within a second).
 */
export async function revokeTokensOutsideRollout(
  store: Store,
  rollout: RolloutPolicy,
  revoker: Revoker,
): Promise<{ users: number; accessTokens: number }> {
  let users = 0;
  let accessTokens = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.users.list({ limit: PAGE, offset });
    for (const user of page.users) {
      if (rollout.allows(user)) continue;
      const revoked = await revoker.revokeUserTokens(user.id, 'rollout_rollback');
      users += 1;
      accessTokens += revoked.length;
    }
    if (page.users.length < PAGE) return { users, accessTokens };
  }
}
