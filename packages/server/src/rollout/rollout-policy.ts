import type { Clock } from '../clock.js';
import { TesseraError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { RolloutOverride } from '../rollout/rollout-override.js';
import { rolloutBucket } from './rollout-bucket.js';

/** The settings key under which `tessera rollout set` stores the percentage. */
export const ROLLOUT_PERCENT_SETTING = 'jwt_rollout_percent';
const ADMIN_ROLE = 'admin';

export interface RolloutState {
  /** Share of users, 0–100, who may log in with JWTs. */
  percent: number;
  /** `database`: set with `tessera rollout set`; `environment`: JWT_ROLLOUT_PERCENT (nothing set yet). */
  source: 'database' | 'environment';
  /** Users for whom the percentage does not apply: true = always JWT, false = never. */
  overrides: RolloutOverride[];
}

export interface RolloutPolicyOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** JWT_ROLLOUT_PERCENT: applies until an operator stores a percentage. */
  defaultPercent: number;
  /** False once LEGACY_SESSIONS=off: with no session login left, every user must be able to get JWTs. */
  enforced: boolean;
  /** How often settings changed elsewhere (the CLI, another instance) are read again. */
  pollIntervalMs: number;
  /** Tells the other instances that the stored rollout changed (a fleet event); they re-read it at once. */
  announceChange?: (() => Promise<void>) | undefined;
}

/**
 * Decides who may log in with JWTs during the rollout. The percentage and the overrides live in the
 * database; each instance keeps them in memory (a login never waits on a settings query) and reads
 * them again every `pollIntervalMs`, or at once on `reload()`. A failed read keeps the last known state.
 */
export class RolloutPolicy {
  private state: RolloutState;
  private byUser = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly options: RolloutPolicyOptions) {
    this.state = { percent: options.defaultPercent, source: 'environment', overrides: [] };
  }

  /**
   * Whether this user may log in with JWTs (or trade a session for them). Admins always may: the admin
   * API accepts access tokens only, so a rollback must never lock the operators out.
   */
  allows(user: { id: string; role: string }): boolean {
    if (!this.options.enforced || user.role === ADMIN_ROLE) return true;
    return this.byUser.get(user.id) ?? rolloutBucket(user.id) < this.state.percent;
  }

  current(): RolloutState {
    return this.state;
  }

  /** Reads the percentage and overrides from the store now (concurrent calls share one read). */
  reload(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  async start(): Promise<void> {
    await this.reload();
    if (!this.options.enforced && this.state.percent < 100) {
      this.options.logger.warn(
        { percent: this.state.percent },
        'LEGACY_SESSIONS=off: the JWT rollout percentage is ignored and every user may log in with JWTs',
      );
    }
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) => this.options.logger.warn({ err: error }, 'rollout settings reload failed'));
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Stores a percentage for every instance; from now on it wins over JWT_ROLLOUT_PERCENT. */
  async setPercent(percent: number): Promise<void> {
    assertPercent(percent);
    await this.options.store.settings.write(ROLLOUT_PERCENT_SETTING, String(percent), this.options.clock.now());
    await this.changed();
  }

  /** Forgets the stored percentage: JWT_ROLLOUT_PERCENT applies again. */
  async resetPercent(): Promise<void> {
    await this.options.store.settings.delete(ROLLOUT_PERCENT_SETTING);
    await this.changed();
  }

  /** Always JWT (true), never (false), or as the percentage says (null). */
  async setOverride(userId: string, enabled: boolean | null): Promise<void> {
    await this.options.store.rolloutOverrides.set(userId, enabled, this.options.clock.now());
    await this.changed();
  }

  /** After a change this process stored: apply it here, then tell the others (a failed announcement only delays them until their next poll). */
  private async changed(): Promise<void> {
    await this.reload();
    try {
      await this.options.announceChange?.();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'could not announce the rollout change; other instances apply it on their timer');
    }
  }

  private async load(): Promise<void> {
    const { store, defaultPercent, logger } = this.options;
    const [stored, overrides] = await Promise.all([store.settings.read(ROLLOUT_PERCENT_SETTING), store.rolloutOverrides.list()]);
    let percent = defaultPercent;
    let source: RolloutState['source'] = 'environment';
    if (stored !== null && isPercent(stored)) {
      percent = Number(stored);
      source = 'database';
    } else if (stored !== null) {
      logger.warn({ stored }, `ignoring an invalid ${ROLLOUT_PERCENT_SETTING} in the database; using JWT_ROLLOUT_PERCENT`);
    }
    this.state = { percent, source, overrides };
    this.byUser = new Map(overrides.map((o) => [o.userId, o.enabled]));
  }
}

function isPercent(value: string): boolean {
  return /^\d{1,3}$/.test(value) && Number(value) <= 100;
}

function assertPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new TesseraError('invalid_request', `the rollout percentage must be a whole number from 0 to 100 (got ${percent})`);
  }
}
