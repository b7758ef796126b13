import type { AuditLog } from '../audit/audit-log.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { Revoker } from '../auth/revoker.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { RolloutPolicy } from '../rollout/rollout-policy.js';
import type { LegacyUsage } from '../sessions/legacy-usage.js';
import type { Store } from '../store/store.js';
import type { KeyRing } from '../tokens/key-ring.js';
import type { UserDirectory } from '../users/user-directory.js';
import { UserImport } from '../users/user-import.js';
import { AccountAdmin } from './accounts.js';
import { AuditSearch } from './audit-search.js';
import { DeviceAdmin } from './devices.js';
import { KeyAdmin } from './keys.js';
import { LegacyNotices } from './legacy-notices.js';
import { LoginThrottleAdmin } from './login-throttle.js';
import { RolloutAdmin } from './rollout.js';
import { ServiceAdmin } from './services.js';
import type { ServiceCredentials } from '../oauth/service-credentials.js';

/** Everything an operator can do, in one place, for both the admin API and the command line. */
export interface Admin {
  accounts: AccountAdmin;
  devices: DeviceAdmin;
  keys: KeyAdmin;
  audit: AuditSearch;
  rollout: RolloutAdmin;
  loginThrottle: LoginThrottleAdmin;
  /** Service credentials (client credentials, introspection, revocation). */
  services: ServiceAdmin;
  /** Users brought over from another system with their password hashes. */
  imports: UserImport;
  /** Email to the users still on sessions (`tessera legacy-usage notify`). */
  legacyNotices: LegacyNotices;
}

export interface AdminDependencies {
  store: Store;
  clock: Clock;
  users: UserDirectory;
  passwords: PasswordHasher;
  revoker: Revoker;
  audit: AuditLog;
  keyRing: KeyRing;
  rollout: RolloutPolicy;
  legacyUsage: LegacyUsage;
  loginThrottle: LoginThrottle;
  serviceCredentials: ServiceCredentials;
  logger: Logger;
  /** Failed logins are counted over this window (LOGIN_FAILURE_WINDOW), ms. */
  loginFailureWindowMs: number;
  /** What the notices of the session sunset say: the date (SESSIONS_SUNSET), the guide's absolute URL, PUBLIC_URL. */
  notices: { sunset: number; guideUrl: string; serviceUrl: string };
}

/** Assembles the operator actions from the services Tessera already has. */
export function createAdmin(deps: AdminDependencies): Admin {
  return {
    accounts: new AccountAdmin(deps),
    devices: new DeviceAdmin(deps),
    keys: new KeyAdmin(deps.keyRing, deps.audit, deps.revoker),
    audit: new AuditSearch(deps.store, deps.audit),
    rollout: new RolloutAdmin(deps),
    services: new ServiceAdmin(deps.serviceCredentials, deps.revoker, deps.audit),
    loginThrottle: new LoginThrottleAdmin({
      throttle: deps.loginThrottle,
      store: deps.store,
      audit: deps.audit,
      clock: deps.clock,
      logger: deps.logger,
      windowMs: deps.loginFailureWindowMs,
    }),
    imports: new UserImport(deps),
    legacyNotices: new LegacyNotices({ ...deps, ...deps.notices }),
  };
}
