import type { AuditLog } from '../audit/audit-log.js';
import type { ClientInfo, UserRecord } from '../store/store.js';
import type { CredentialCheck } from './credential-check.js';
import type { TokenPair, TokenPairIssuer } from './token-pair.js';

/** Password login: checks the credentials and starts a refresh-token family for this device. */
export class Login {
  constructor(
    private readonly credentials: CredentialCheck,
    private readonly tokenPairs: TokenPairIssuer,
    private readonly audit: AuditLog,
  ) {}

  async run(username: string, password: string, client: ClientInfo): Promise<TokenPair & { user: UserRecord }> {
    const user = await this.credentials.verify(username, password, client);
    const pair = await this.tokenPairs.startFamily(user, client);
    this.audit.record({ type: 'login.success', userId: user.id, client, detail: { familyId: pair.family.id } });
    return { ...pair, user };
  }
}
