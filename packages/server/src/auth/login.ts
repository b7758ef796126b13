import type { AuditLog } from '../audit/audit-log.js';
import type { RolloutPolicy } from '../rollout/rollout-policy.js';
import type { ClientInfo } from '../tokens/refresh-family.js';
import type { UserRecord } from '../users/user.js';
import type { CredentialCheck } from './credential-check.js';
import { requireJwtEnabled } from './jwt-rollout-gate.js';
import type { TokenPair, TokenPairIssuer } from './token-pair.js';

/** Password login: checks the credentials and starts a refresh-token family for this device. */
export class Login {
  constructor(
    private readonly credentials: CredentialCheck,
    private readonly tokenPairs: TokenPairIssuer,
    private readonly audit: AuditLog,
    private readonly rollout: RolloutPolicy,
  ) {}

  async run(username: string, password: string, client: ClientInfo): Promise<TokenPair & { user: UserRecord }> {
    const user = await this.credentials.verify(username, password, client);
    // Only after the password is right: the answer must not tell strangers who is in the rollout.
    requireJwtEnabled(this.rollout, this.audit, user, client, 'password');
    // The password was just checked: the login's tokens carry that instant as `auth_time`.
    const pair = await this.tokenPairs.startFamily(user, client, { authenticatedAt: user.authenticatedAt, authTime: user.authenticatedAt });
    this.audit.record({ type: 'login.success', userId: user.id, client, detail: { familyId: pair.family.id } });
    return { ...pair, user };
  }
}
