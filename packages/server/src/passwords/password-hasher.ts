import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash, parseOptions, type Algorithm } from '@node-rs/argon2';
import type { Config } from '../config.js';
import { HashingSlots } from './hashing-slots.js';
import { schemeOf, verifyStoredHash } from './imported-hashes.js';
import { sharedLowPriorityHashers, type LowPriorityHashers } from './low-priority-hashers.js';
import { argon2Scheme } from './schemes/argon2-scheme.js';

/** argon2id parameters; the default is OWASP's minimum recommendation (m=19 MiB, t=2, p=1). */
export interface PasswordHashParams {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

export const OWASP_ARGON2ID: PasswordHashParams = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

// `Algorithm` is an ambient const enum; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;

/** A hasher as the configuration says: its wait bound and whether low-priority hashing threads take the work. */
export function configuredPasswordHasher(config: Pick<Config, 'loginQueueMaxWaitMs' | 'passwordHashPriority'>): PasswordHasher {
  return new PasswordHasher(undefined, undefined, config.loginQueueMaxWaitMs, config.passwordHashPriority === 'low' ? sharedLowPriorityHashers() : null);
}

/** Hashes and checks passwords with argon2id, and says when a stored hash is due for an upgrade. */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;
  private readonly slots: HashingSlots;

  /**
   * `concurrency`: hashes computed at once at normal priority; the rest queue. The default leaves one
   * core to everything else (verifying and signing tokens, serving the API).
   * `maxWaitMs`: how long one waits in that queue before being refused with `OverloadedError` (503).
   * `threads`: low-priority hashing threads, which take argon2 work first (one per core, shared by the
   * process; `null` for none): logins use every core the API leaves free (see `HashingSlots`).
   */
  constructor(
    private readonly params: PasswordHashParams = OWASP_ARGON2ID,
    concurrency = Math.max(1, availableParallelism() - 1),
    maxWaitMs = Number.POSITIVE_INFINITY,
    threads: LowPriorityHashers | null = sharedLowPriorityHashers(),
  ) {
    this.slots = new HashingSlots(concurrency, maxWaitMs, threads ?? undefined);
  }

  /** Hashes and verifications refused because the queue wait was too long. */
  get shed(): number {
    return this.slots.shed;
  }

  hash(password: string): Promise<string> {
    const options = { algorithm: ARGON2ID, ...this.params };
    return this.slots.run({ run: () => hash(password, options), job: { op: 'hash', password, options } });
  }

  /**
   * Checks a password against a stored hash: Tessera's argon2id or one imported from another system
   * (bcrypt, scrypt, PBKDF2, argon2i). Rejects with `OverloadedError` when no hashing slot frees up in time.
   */
  verify(passwordHash: string, password: string): Promise<boolean> {
    const job = schemeOf(passwordHash) === argon2Scheme ? { op: 'verify' as const, hash: passwordHash, password } : undefined;
    return this.slots.run({ run: () => verifyStoredHash(passwordHash, password), job });
  }

  /**
   * Spends the time of a real verification against a hash nobody knows the password of, so a login
   * for an unknown user is indistinguishable by timing from a wrong password.
   */
  async verifyNothing(password: string): Promise<false> {
    await this.verify(await this.dummy(), password);
    return false;
  }

  /** Prepares the dummy hash ahead of the first login. */
  async warmUp(): Promise<void> {
    await this.dummy();
  }

  /** The dummy hash, made once; a shed attempt is forgotten so that the next one tries again. */
  private dummy(): Promise<string> {
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url')).catch((error: unknown) => {
      this.dummyHash = undefined;
      throw error;
    });
    return this.dummyHash;
  }

  needsRehash(passwordHash: string): boolean {
    try {
      const current = parseOptions(passwordHash);
      return (
        current.algorithm !== ARGON2ID ||
        current.memoryCost !== this.params.memoryCost ||
        current.timeCost !== this.params.timeCost ||
        current.parallelism !== this.params.parallelism
      );
    } catch {
      return true;
    }
  }
}
