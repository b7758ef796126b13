import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsChangedError, TesseraError } from '../../src/errors.js';
import type { AuditRepository, Store } from '../../src/store/store.js';
import type { NewSession } from '../../src/sessions/session.js';
import type { ClientInfo, FamilyRecord, RotationOutcome, RotationRequest } from '../../src/tokens/refresh-family.js';
import type { RevokedAccessToken } from '../../src/tokens/revoked-access-token.js';
import type { KeyUse, SigningKeyRecord } from '../../src/tokens/signing-key.js';
import type { NewUser, UserRecord } from '../../src/users/user.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const ACCESS_TTL = 15 * MINUTE;
const REFRESH_TTL = DAY;
const LAPTOP: ClientInfo = { ip: '192.0.2.10', userAgent: 'laptop' };
const PHONE: ClientInfo = { ip: '198.51.100.7', userAgent: 'phone' };

export interface OpenedStore {
  store: Store;
  /** Closes the store and removes whatever it stored (file, schema). */
  cleanup: () => Promise<void>;
}

type Outcome<S extends RotationOutcome['status']> = Extract<RotationOutcome, { status: S }>;

/** Asserts the outcome's status and narrows it, so the test can read the members of that outcome. */
function expectOutcome<S extends 'rotated' | 'successor' | 'reused' | 'user_disabled'>(outcome: RotationOutcome, status: S): Outcome<S> {
  expect(outcome.status).toBe(status);
  return outcome as Outcome<S>;
}

const byJti = (entries: RevokedAccessToken[]) => [...entries].sort((a, b) => a.jti.localeCompare(b.jti));

/**
 * The behaviour every `Store` must show, observed only through the interface. Each test gets a fresh,
 * migrated store from `open`; times are fixed, never read from the clock.
 */
export function storeContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name} store contract`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let counter = 0;
    const unique = (prefix: string) => `${prefix}-${++counter}`;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
      await store.migrate();
    });

    afterEach(async () => {
      await cleanup();
    });

    function newUser(username: string, overrides: Partial<NewUser> = {}): NewUser {
      return { id: `id-${username}`, username, role: 'user', passwordHash: `hash-of-${username}`, createdAt: T0, ...overrides };
    }

    function signingKey(kid: string, use: KeyUse, createdAt: number): SigningKeyRecord {
      return {
        kid,
        use,
        alg: use === 'access' ? 'ES256' : 'HS256',
        publicJwk: use === 'access' ? JSON.stringify({ kty: 'EC', kid }) : null,
        sealedKey: `sealed-${kid}`,
        createdAt,
        rotatedOutAt: null,
        expiresAt: null,
      };
    }

    interface StartedFamily {
      family: FamilyRecord;
      tokenId: string;
      tokenHash: string;
      jti: string;
    }

    /** A login: a family with its first refresh token and access token. */
    async function login(
      userId: string,
      options: { now?: number; refreshTtl?: number; accessTtl?: number; client?: ClientInfo; authenticatedAt?: number; serviceClientId?: string; authTime?: number } = {},
    ): Promise<StartedFamily> {
      const now = options.now ?? T0;
      const tokenId = unique('rt');
      const tokenHash = `hash-${tokenId}`;
      const jti = unique('at');
      const family = await store.families.create({
        familyId: unique('fam'),
        userId,
        token: { id: tokenId, tokenHash, issuedAt: now, expiresAt: now + (options.refreshTtl ?? REFRESH_TTL) },
        access: { jti, expiresAt: now + (options.accessTtl ?? ACCESS_TTL) },
        client: options.client ?? LAPTOP,
        now,
        ...(options.authenticatedAt === undefined ? {} : { authenticatedAt: options.authenticatedAt }),
        ...(options.serviceClientId === undefined ? {} : { serviceClientId: options.serviceClientId }),
        ...(options.authTime === undefined ? {} : { authTime: options.authTime }),
      });
      return { family, tokenId, tokenHash, jti };
    }

    /** A refresh request presenting `tokenHash` at `now`, with a fresh successor and access token. */
    function presenting(tokenHash: string, now: number, reuseIntervalMs = 0, client: ClientInfo = LAPTOP): RotationRequest {
      const id = unique('rt');
      return {
        tokenHash,
        now,
        reuseIntervalMs,
        next: { id, tokenHash: `hash-${id}`, issuedAt: now, expiresAt: now + REFRESH_TTL },
        access: { jti: unique('at'), expiresAt: now + ACCESS_TTL },
        client,
      };
    }

    async function createUser(username: string, overrides: Partial<NewUser> = {}): Promise<UserRecord> {
      return store.users.create(newUser(username, overrides));
    }

    describe('schema and connection', () => {
      it('applies its migrations a second time without harm or data loss', async () => {
        await createUser('ada');
        await store.migrate();
        expect(await store.users.findByUsername('ada')).not.toBeNull();
        expect(await store.users.count()).toBe(1);
      });

      it('a migrated store has no migrations pending', async () => {
        expect(await store.pendingMigrations()).toBe(0);
      });

      it('answers a ping', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('can be closed more than once', async () => {
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
      });
    });

    describe('users', () => {
      it('creates a user and finds it by id and by username', async () => {
        const created = await createUser('ada', { role: 'admin' });
        const expected: UserRecord = {
          id: 'id-ada',
          username: 'ada',
          role: 'admin',
          passwordHash: 'hash-of-ada',
          email: null,
          emailVerifiedAt: null,
          createdAt: T0,
          updatedAt: T0,
          disabledAt: null,
        };
        expect(created).toEqual(expected);
        expect(await store.users.findById('id-ada')).toEqual(expected);
        expect(await store.users.findByUsername('ada')).toEqual(expected);
      });

      it('refuses a second user with the same username', async () => {
        await createUser('ada');
        const attempt = store.users.create(newUser('ada', { id: 'id-other', role: 'admin' }));
        await expect(attempt).rejects.toBeInstanceOf(TesseraError);
        await expect(attempt).rejects.toMatchObject({ code: 'conflict' });
        expect(await store.users.count()).toBe(1);
        expect((await store.users.findByUsername('ada'))!.id).toBe('id-ada');
      });

      it('treats usernames differing only in case as different users', async () => {
        await createUser('ada');
        await createUser('Ada');
        expect((await store.users.findByUsername('Ada'))!.id).toBe('id-Ada');
      });

      it('keeps the email address a user was created with', async () => {
        await createUser('ada', { email: 'ada@example.com' });
        expect((await store.users.findByUsername('ada'))!.email).toBe('ada@example.com');
      });

      it('finds several users by name at once, leaving out names nobody has', async () => {
        await createUser('ada');
        await createUser('bob');
        const found = await store.users.findByUsernames(['bob', 'nobody', 'ada']);
        expect(found.map((u) => u.username).sort()).toEqual(['ada', 'bob']);
      });

      it('imports a batch: creates new users and updates those whose hash is still the one read', async () => {
        await createUser('ada', { passwordHash: 'old-ada' });
        await createUser('bob', { passwordHash: 'rehashed-bob' });
        const written = await store.users.importBatch(
          {
            create: [newUser('cyd', { email: 'cyd@example.com' }), newUser('ada', { id: 'id-ada-2' })],
            update: [
              { id: 'id-ada', role: 'admin', email: 'ada@example.com', passwordHash: 'new-ada', expectedPasswordHash: 'old-ada' },
              { id: 'id-bob', role: 'admin', email: null, passwordHash: 'new-bob', expectedPasswordHash: 'old-bob' },
            ],
          },
          T0 + MINUTE,
        );
        expect(written).toEqual({ created: 1, updated: 1, updatedIds: ['id-ada'] });
        expect(await store.users.count()).toBe(3);
        expect(await store.users.findByUsername('ada')).toMatchObject({
          id: 'id-ada', role: 'admin', email: 'ada@example.com', passwordHash: 'new-ada', updatedAt: T0 + MINUTE,
        });
        // bob's hash changed since it was read (a login re-hashed it): the import leaves him alone
        expect(await store.users.findByUsername('bob')).toMatchObject({ role: 'user', passwordHash: 'rehashed-bob' });
        expect(await store.users.findByUsername('cyd')).toMatchObject({ email: 'cyd@example.com', createdAt: T0 });
      });

      it('leaves the address and its confirmation alone for an import update that names no address', async () => {
        await createUser('ada', { passwordHash: 'old-ada' });
        await store.users.update('id-ada', { email: 'ada@example.com' }, T0 + MINUTE);
        const written = await store.users.importBatch(
          { create: [], update: [{ id: 'id-ada', role: 'admin', email: undefined, passwordHash: 'new-ada', expectedPasswordHash: 'old-ada' }] },
          T0 + 2 * MINUTE,
        );
        expect(written).toEqual({ created: 0, updated: 1, updatedIds: ['id-ada'] });
        expect(await store.users.findByUsername('ada')).toMatchObject({ role: 'admin', passwordHash: 'new-ada', email: 'ada@example.com', emailVerifiedAt: null });
      });

      it('counts an address given at creation or by an import as verified, and a patched one as unverified unless said', async () => {
        expect(await createUser('ada', { email: 'ada@example.com' })).toMatchObject({ emailVerifiedAt: T0 });
        expect(await createUser('bob')).toMatchObject({ email: null, emailVerifiedAt: null });
        expect(await store.users.update('id-bob', { email: 'bob@example.com' }, T0 + MINUTE)).toMatchObject({ emailVerifiedAt: null });
        await store.users.importBatch(
          {
            create: [newUser('cyd', { email: 'cyd@example.com' })],
            update: [
              { id: 'id-ada', role: 'user', email: 'ada@example.com', passwordHash: 'hash-of-ada', expectedPasswordHash: 'hash-of-ada' },
              { id: 'id-bob', role: 'user', email: 'bob@example.com', passwordHash: 'hash-of-bob', expectedPasswordHash: 'hash-of-bob' },
            ],
          },
          T0 + HOUR,
        );
        // The file's address is vouched for; one already verified keeps its instant.
        expect(await store.users.findByUsername('ada')).toMatchObject({ emailVerifiedAt: T0 });
        expect(await store.users.findByUsername('bob')).toMatchObject({ emailVerifiedAt: T0 + HOUR });
        expect(await store.users.findByUsername('cyd')).toMatchObject({ emailVerifiedAt: T0 });
        expect(await store.users.update('id-ada', { email: 'ada@example.org', emailVerifiedAt: T0 + DAY }, T0 + DAY)).toMatchObject({ emailVerifiedAt: T0 + DAY });
        expect(await store.users.update('id-ada', { email: null }, T0 + DAY)).toMatchObject({ email: null, emailVerifiedAt: null });
      });

      it('verifies an address only while it is still the user\'s', async () => {
        await createUser('ada');
        await store.users.update('id-ada', { email: 'ada@example.com' }, T0);
        expect(await store.users.verifyEmail('id-ada', 'ada@example.org', T0 + MINUTE)).toBeNull();
        expect(await store.users.verifyEmail('id-ada', 'ada@example.com', T0 + MINUTE)).toMatchObject({ emailVerifiedAt: T0 + MINUTE });
      });

      it('finds nobody for an unknown id or username', async () => {
        await createUser('ada');
        expect(await store.users.findById('id-nobody')).toBeNull();
        expect(await store.users.findByUsername('nobody')).toBeNull();
      });

      it('lists users oldest first, one page at a time, with the total and without password hashes', async () => {
        for (const [name, minute] of [['c', 3], ['a', 1], ['e', 5], ['b', 2], ['d', 4]] as const) {
          await createUser(name, { createdAt: T0 + minute * MINUTE });
        }
        const { users, total } = await store.users.list({ limit: 2, offset: 1 });
        expect(total).toBe(5);
        expect(users.map((u) => u.username)).toEqual(['b', 'c']);
        expect(users[0]).toEqual({
          id: 'id-b',
          username: 'b',
          role: 'user',
          email: null,
          emailVerifiedAt: null,
          createdAt: T0 + 2 * MINUTE,
          updatedAt: T0 + 2 * MINUTE,
          disabledAt: null,
        });
        expect(users[0]).not.toHaveProperty('passwordHash');
      });

      it('orders users created in the same millisecond by id, byte by byte', async () => {
        for (const id of ['u_0', 'u-a', 'u-B']) await createUser(`name${id}`, { id });
        const { users } = await store.users.list({ limit: 10, offset: 0 });
        expect(users.map((u) => u.id)).toEqual(['u-B', 'u-a', 'u_0']);
      });

      it('lists a user created, promoted or disabled since the same page was last listed', async () => {
        await createUser('ada');
        expect((await store.users.list({ limit: 10, offset: 0 })).total).toBe(1);
        await createUser('bob');
        const afterCreate = await store.users.list({ limit: 10, offset: 0 });
        expect(afterCreate.users.map((u) => u.username)).toEqual(['ada', 'bob']);
        expect(afterCreate.total).toBe(2);
        await store.users.update('id-bob', { role: 'admin' }, T0 + HOUR);
        await store.users.update('id-ada', { disabledAt: T0 + HOUR }, T0 + HOUR);
        const afterUpdate = await store.users.list({ limit: 10, offset: 0 });
        expect(afterUpdate.users.map((u) => [u.username, u.role, u.disabledAt])).toEqual([
          ['ada', 'user', T0 + HOUR],
          ['bob', 'admin', null],
        ]);
      });

      it('returns an empty page past the last user, still with the total', async () => {
        await createUser('ada');
        expect(await store.users.list({ limit: 10, offset: 5 })).toEqual({ users: [], total: 1 });
      });

      it('updates only the patched fields and stamps updatedAt', async () => {
        await createUser('ada');
        const promoted = await store.users.update('id-ada', { role: 'admin' }, T0 + HOUR);
        expect(promoted).toMatchObject({ role: 'admin', passwordHash: 'hash-of-ada', createdAt: T0, updatedAt: T0 + HOUR, disabledAt: null });

        const rehashed = await store.users.update('id-ada', { passwordHash: 'new-hash' }, T0 + 2 * HOUR);
        expect(rehashed).toMatchObject({ role: 'admin', passwordHash: 'new-hash', updatedAt: T0 + 2 * HOUR });
        expect(await store.users.findById('id-ada')).toEqual(rehashed);
      });

      it('disables a user and enables it again', async () => {
        await createUser('ada');
        expect(await store.users.update('id-ada', { disabledAt: T0 + HOUR }, T0 + HOUR)).toMatchObject({ disabledAt: T0 + HOUR });
        const enabled = await store.users.update('id-ada', { disabledAt: null }, T0 + 2 * HOUR);
        expect(enabled).toMatchObject({ disabledAt: null, updatedAt: T0 + 2 * HOUR, role: 'user' });
      });

      it('returns null when updating a user that does not exist', async () => {
        expect(await store.users.update('id-nobody', { role: 'admin' }, T0)).toBeNull();
      });

      it('counts users', async () => {
        expect(await store.users.count()).toBe(0);
        await createUser('ada');
        await createUser('grace');
        expect(await store.users.count()).toBe(2);
      });
    });

    describe('signing keys', () => {
      it('revokes a key at once: it is retired now and every instance reads the move', async () => {
        await store.keys.insertIfNoneActive(signingKey('kid-old', 'access', T0));
        await store.keys.rotate(signingKey('kid-new', 'access', T0 + HOUR), T0 + DAY);
        expect(await store.keys.revoke('kid-old', T0 + 2 * HOUR)).toBe(true);
        expect((await store.keys.list()).find((k) => k.kid === 'kid-old')).toMatchObject({ expiresAt: T0 + 2 * HOUR });
        expect((await store.validAfter.since(0)).moves).toEqual([{ scope: 'key', subject: 'kid-old', at: T0 + 2 * HOUR }]);
        expect(await store.keys.revoke('kid-unknown', T0 + 2 * HOUR)).toBe(false);
      });

      it('stores the first key of a use and returns it', async () => {
        const key = signingKey('k1', 'access', T0);
        expect(await store.keys.insertIfNoneActive(key)).toEqual(key);
        expect(await store.keys.list()).toEqual([key]);
      });

      it('keeps the active key and returns it when asked to insert another of the same use', async () => {
        const first = signingKey('k1', 'access', T0);
        await store.keys.insertIfNoneActive(first);
        expect(await store.keys.insertIfNoneActive(signingKey('k2', 'access', T0 + MINUTE))).toEqual(first);
        expect(await store.keys.list()).toEqual([first]);
      });

      it('keeps one active key per use, independently', async () => {
        const access = signingKey('a1', 'access', T0);
        const refresh = signingKey('r1', 'refresh', T0 + SECOND);
        await store.keys.insertIfNoneActive(access);
        expect(await store.keys.insertIfNoneActive(refresh)).toEqual(refresh);
        expect(await store.keys.list()).toEqual([access, refresh]);
      });

      it('agrees on one active key when several instances insert at once', async () => {
        const kids = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
        const results = await Promise.all(kids.map((kid, i) => store.keys.insertIfNoneActive(signingKey(kid, 'access', T0 + i))));
        const winner = results[0]!.kid;
        expect(results.every((r) => r.kid === winner)).toBe(true);
        expect((await store.keys.list()).map((k) => k.kid)).toEqual([winner]);
      });

      it('lists keys oldest first', async () => {
        await store.keys.insertIfNoneActive(signingKey('r1', 'refresh', T0 + MINUTE));
        await store.keys.insertIfNoneActive(signingKey('a1', 'access', T0));
        expect((await store.keys.list()).map((k) => k.kid)).toEqual(['a1', 'r1']);
      });

      it('rotates: the new key becomes active and the old one is retired until the given expiry', async () => {
        const old = signingKey('k1', 'access', T0);
        const refresh = signingKey('r1', 'refresh', T0 + SECOND);
        await store.keys.insertIfNoneActive(old);
        await store.keys.insertIfNoneActive(refresh);
        const replacement = signingKey('k2', 'access', T0 + HOUR);
        await store.keys.rotate(replacement, T0 + 2 * HOUR);

        expect(await store.keys.list()).toEqual([
          { ...old, rotatedOutAt: T0 + HOUR, expiresAt: T0 + 2 * HOUR },
          refresh,
          replacement,
        ]);
        // The new key is now the one a later insert defers to.
        expect(await store.keys.insertIfNoneActive(signingKey('k3', 'access', T0 + 3 * HOUR))).toEqual(replacement);
      });

      it('leaves exactly one active key when rotations race', async () => {
        await store.keys.insertIfNoneActive(signingKey('k0', 'access', T0));
        const kids = ['k1', 'k2', 'k3', 'k4', 'k5'];
        await Promise.all(kids.map((kid, i) => store.keys.rotate(signingKey(kid, 'access', T0 + (i + 1) * MINUTE), T0 + DAY)));
        const keys = await store.keys.list();
        expect(keys).toHaveLength(6);
        expect(keys.filter((k) => k.rotatedOutAt === null)).toHaveLength(1);
        expect(keys.filter((k) => k.rotatedOutAt !== null).every((k) => k.expiresAt === T0 + DAY)).toBe(true);
      });

      it('re-seals a key in place', async () => {
        const key = signingKey('k1', 'access', T0);
        await store.keys.insertIfNoneActive(key);
        await store.keys.updateSealedKey('k1', 'sealed-with-new-secret');
        expect(await store.keys.list()).toEqual([{ ...key, sealedKey: 'sealed-with-new-secret' }]);
      });
    });

    describe('refresh-token families', () => {
      let ada: UserRecord;

      beforeEach(async () => {
        ada = await createUser('ada');
      });

      it("remembers when the login's password was proven and gives it back with every rotation; null when none was", async () => {
        const { family, tokenHash } = await login(ada.id, { authTime: T0 - 1000 });
        expect(family.authTime).toBe(T0 - 1000);
        const rotated = expectOutcome(await store.families.rotate(presenting(tokenHash, T0 + HOUR / 2)), 'rotated');
        expect(rotated.family.authTime).toBe(T0 - 1000);
        const exchanged = await login(ada.id);
        expect(expectOutcome(await store.families.rotate(presenting(exchanged.tokenHash, T0 + MINUTE)), 'rotated').family.authTime).toBeNull();
      });

      it('creates a family with its first refresh token and its access token', async () => {
        const { family, tokenId, tokenHash, jti } = await login(ada.id, { client: PHONE });
        expect(family).toEqual({
          id: family.id,
          userId: ada.id,
          createdAt: T0,
          lastUsedAt: T0,
          ip: PHONE.ip,
          userAgent: PHONE.userAgent,
          revokedAt: null,
          revokeReason: null,
          serviceClientId: null,
          authTime: null,
        });
        expect(await store.families.findToken(tokenHash)).toEqual({
          id: tokenId,
          familyId: family.id,
          userId: ada.id,
          tokenHash,
          parentId: null,
          issuedAt: T0,
          expiresAt: T0 + REFRESH_TTL,
          rotatedAt: null,
          successorId: null,
        });
        expect(await store.families.findByAccessToken(jti)).toEqual(family);
      });

      it('stores a family whose client sent no address or user agent', async () => {
        const { family } = await login(ada.id, { client: { ip: null, userAgent: null } });
        expect(family).toMatchObject({ ip: null, userAgent: null });
      });

      it('finds nothing for an unknown refresh-token hash or access token', async () => {
        await login(ada.id);
        expect(await store.families.findToken('hash-unknown')).toBeNull();
        expect(await store.families.findByAccessToken('at-unknown')).toBeNull();
      });

      describe('rotating a refresh token', () => {
        it('marks the token used, links its successor and records the client and time of use', async () => {
          const { family, tokenId, tokenHash } = await login(ada.id);
          const request = presenting(tokenHash, T0 + MINUTE, 0, PHONE);
          const rotated = expectOutcome(await store.families.rotate(request), 'rotated');

          expect(rotated.user).toEqual(ada);
          expect(rotated.family).toEqual({ ...family, lastUsedAt: T0 + MINUTE, ip: PHONE.ip, userAgent: PHONE.userAgent });
          expect(rotated.token).toEqual({
            id: request.next.id,
            familyId: family.id,
            userId: ada.id,
            tokenHash: request.next.tokenHash,
            parentId: tokenId,
            issuedAt: T0 + MINUTE,
            expiresAt: T0 + MINUTE + REFRESH_TTL,
            rotatedAt: null,
            successorId: null,
          });
          expect(await store.families.findToken(tokenHash)).toMatchObject({ rotatedAt: T0 + MINUTE, successorId: request.next.id });
          expect(await store.families.findToken(request.next.tokenHash)).toEqual(rotated.token);
          expect((await store.families.findByAccessToken(request.access.jti))!.id).toBe(family.id);
        });

        it('tells the caller the outcome once decided, before the rotation settles, whatever it is', async () => {
          const rotateTelling = async (request: RotationRequest) => {
            const told: Array<{ outcome: RotationOutcome; settled: boolean }> = [];
            let settled = false;
            const rotation = store.families.rotate(request, (outcome) => told.push({ outcome, settled }));
            const outcome = await rotation.finally(() => (settled = true));
            return { outcome, told };
          };
          const { tokenHash } = await login(ada.id);
          const rotated = await rotateTelling(presenting(tokenHash, T0 + MINUTE));
          expect(rotated.outcome.status).toBe('rotated');
          expect(rotated.told).toEqual([{ outcome: rotated.outcome, settled: false }]);
          const unknown = await rotateTelling(presenting('hash-unknown', T0 + MINUTE));
          expect(unknown.told).toEqual([{ outcome: { status: 'unknown' }, settled: false }]);
        });

        it('rotates the successor in turn', async () => {
          const { tokenHash } = await login(ada.id);
          const first = presenting(tokenHash, T0 + MINUTE);
          await store.families.rotate(first);
          const second = expectOutcome(await store.families.rotate(presenting(first.next.tokenHash, T0 + 2 * MINUTE)), 'rotated');
          expect(second.token.parentId).toBe(first.next.id);
        });

        it('reports a token it has never seen as unknown', async () => {
          await login(ada.id);
          expect(await store.families.rotate(presenting('hash-unknown', T0 + MINUTE))).toEqual({ status: 'unknown' });
        });

        it('reports an expired token as expired and leaves it unrotated', async () => {
          const { tokenHash } = await login(ada.id, { refreshTtl: HOUR });
          expect(await store.families.rotate(presenting(tokenHash, T0 + HOUR))).toEqual({ status: 'expired' });
          expect(await store.families.findToken(tokenHash)).toMatchObject({ rotatedAt: null, successorId: null });
        });

        it('reports a token of a revoked family as revoked, even once it has also expired', async () => {
          const { family, tokenHash } = await login(ada.id, { refreshTtl: HOUR });
          await store.families.revoke(family.id, 'logout', T0 + MINUTE);
          expect(await store.families.rotate(presenting(tokenHash, T0 + 2 * MINUTE))).toEqual({ status: 'revoked' });
          expect(await store.families.rotate(presenting(tokenHash, T0 + 2 * HOUR))).toEqual({ status: 'revoked' });
        });

        it('gives the same successor to a token presented again within the reuse interval', async () => {
          const { family, tokenHash } = await login(ada.id);
          const first = presenting(tokenHash, T0 + MINUTE, 30 * SECOND);
          const rotated = expectOutcome(await store.families.rotate(first), 'rotated');

          const again = presenting(tokenHash, T0 + MINUTE + 30 * SECOND, 30 * SECOND);
          const outcome = expectOutcome(await store.families.rotate(again), 'successor');
          expect(outcome.successor).toEqual(rotated.token);
          expect(outcome.user).toEqual(ada);
          expect(outcome.family).toMatchObject({ id: family.id, revokedAt: null });
          // No second successor is created, but the access token issued with the repeat is recorded.
          expect(await store.families.findToken(again.next.tokenHash)).toBeNull();
          expect((await store.families.findByAccessToken(again.access.jti))!.id).toBe(family.id);
        });

        it('revokes the family when a rotated token is presented after the reuse interval, returning its access tokens', async () => {
          const { family, tokenHash, jti } = await login(ada.id);
          const first = presenting(tokenHash, T0 + MINUTE, 30 * SECOND);
          await store.families.rotate(first);

          const late = presenting(tokenHash, T0 + MINUTE + 31 * SECOND, 30 * SECOND);
          const reused = expectOutcome(await store.families.rotate(late), 'reused');
          const now = late.now;
          expect(reused.family).toEqual({ ...family, lastUsedAt: T0 + MINUTE, revokedAt: now, revokeReason: 'reuse_detected' });
          const expected = byJti([
            { jti, userId: ada.id, expiresAt: T0 + ACCESS_TTL },
            { jti: first.access.jti, userId: ada.id, expiresAt: first.access.expiresAt },
          ]);
          expect(byJti(reused.revoked)).toEqual(expected);
          expect(await store.families.findToken(late.next.tokenHash)).toBeNull();
          expect(await store.families.findByAccessToken(late.access.jti)).toBeNull();

          const feed = await store.revocations.since(0, now);
          expect(byJti(feed.entries)).toEqual(expected);
        });

        it('keeps a family revoked after reuse: its newest token is refused too', async () => {
          const { tokenHash } = await login(ada.id);
          const first = presenting(tokenHash, T0 + MINUTE);
          await store.families.rotate(first);
          expectOutcome(await store.families.rotate(presenting(tokenHash, T0 + 2 * MINUTE)), 'reused');
          expect(await store.families.rotate(presenting(first.next.tokenHash, T0 + 3 * MINUTE))).toEqual({ status: 'revoked' });
        });

        it('gives no grace to a token two generations back, even within the reuse interval: the family is revoked', async () => {
          const { family, tokenHash } = await login(ada.id);
          const second = presenting(tokenHash, T0 + SECOND, 30 * SECOND);
          await store.families.rotate(second);
          const third = presenting(second.next.tokenHash, T0 + 2 * SECOND, 30 * SECOND);
          expectOutcome(await store.families.rotate(third), 'rotated');
          // The first token's successor has itself been used: replaying the first is a copy, not a race.
          expectOutcome(await store.families.rotate(presenting(tokenHash, T0 + 3 * SECOND, 30 * SECOND)), 'reused');
          expect(await store.families.find(family.id)).toMatchObject({ revokedAt: T0 + 3 * SECOND, revokeReason: 'reuse_detected' });
        });

        it('reports a family older than its maximum age as expired, however fresh its token', async () => {
          const { tokenHash } = await login(ada.id);
          const first = presenting(tokenHash, T0 + 50 * MINUTE);
          expectOutcome(await store.families.rotate({ ...first, familyMaxAgeMs: HOUR }), 'rotated');
          const late = { ...presenting(first.next.tokenHash, T0 + HOUR), familyMaxAgeMs: HOUR };
          expect(await store.families.rotate(late)).toEqual({ status: 'expired' });
          expect(await store.families.findToken(late.next.tokenHash)).toBeNull();
        });

        it('gives no grace when the reuse interval is 0, even within the same millisecond', async () => {
          const { tokenHash } = await login(ada.id);
          await store.families.rotate(presenting(tokenHash, T0 + MINUTE, 0));
          expectOutcome(await store.families.rotate(presenting(tokenHash, T0 + MINUTE, 0)), 'reused');
        });

        it("refuses a disabled user's token and revokes the family with its access tokens", async () => {
          const { family, tokenHash, jti } = await login(ada.id);
          await store.users.update(ada.id, { disabledAt: T0 + MINUTE }, T0 + MINUTE);
          const request = presenting(tokenHash, T0 + 2 * MINUTE);
          const outcome = expectOutcome(await store.families.rotate(request), 'user_disabled');
          expect(outcome.revoked).toEqual([{ jti, userId: ada.id, expiresAt: T0 + ACCESS_TTL }]);
          expect(await store.families.findByAccessToken(jti)).toEqual({ ...family, revokedAt: T0 + 2 * MINUTE, revokeReason: 'user_disabled' });
          expect(await store.families.findToken(request.next.tokenHash)).toBeNull();
          expect(await store.families.rotate(presenting(tokenHash, T0 + 3 * MINUTE))).toEqual({ status: 'revoked' });
        });

        it('lets exactly one of twenty simultaneous presentations of a token rotate it', async () => {
          const { tokenHash } = await login(ada.id);
          const requests = Array.from({ length: 20 }, () => presenting(tokenHash, T0 + MINUTE));
          const outcomes = await Promise.all(requests.map((r) => store.families.rotate(r)));

          const statuses = outcomes.map((o) => o.status);
          expect(statuses.filter((s) => s === 'rotated')).toHaveLength(1);
          // Without a reuse interval, the first loser is reuse; after that the family is revoked.
          expect(statuses.filter((s) => s === 'reused')).toHaveLength(1);
          expect(statuses.filter((s) => s === 'revoked')).toHaveLength(18);
          const successors = await Promise.all(requests.map((r) => store.families.findToken(r.next.tokenHash)));
          expect(successors.filter((s) => s !== null)).toHaveLength(1);
        });

        it('gives every simultaneous loser the one successor within the reuse interval', async () => {
          const { family, tokenHash } = await login(ada.id);
          const requests = Array.from({ length: 20 }, () => presenting(tokenHash, T0 + MINUTE, 30 * SECOND));
          const outcomes = await Promise.all(requests.map((r) => store.families.rotate(r)));

          const rotated = outcomes.filter((o) => o.status === 'rotated');
          expect(rotated).toHaveLength(1);
          const winner = (rotated[0] as Outcome<'rotated'>).token;
          const others = outcomes.filter((o) => o.status !== 'rotated');
          expect(others.every((o) => o.status === 'successor' && o.successor.id === winner.id)).toBe(true);
          expect(await store.families.list(ada.id, T0 + MINUTE)).toEqual([expect.objectContaining({ id: family.id, revokedAt: null })]);
        });
      });

      describe('revoking', () => {
        it('revokes a family and returns its unexpired access tokens', async () => {
          const { family, tokenHash } = await login(ada.id, { accessTtl: 2 * MINUTE });
          const next = presenting(tokenHash, T0 + MINUTE);
          await store.families.rotate(next);
          const other = await login(ada.id);

          const revoked = await store.families.revoke(family.id, 'logout', T0 + 3 * MINUTE);
          // The first access token expired at T0 + 2 min: nothing to revoke there.
          expect(revoked).toEqual([{ jti: next.access.jti, userId: ada.id, expiresAt: next.access.expiresAt }]);
          expect(await store.families.findByAccessToken(next.access.jti)).toMatchObject({
            id: family.id,
            revokedAt: T0 + 3 * MINUTE,
            revokeReason: 'logout',
          });
          expect(await store.families.findByAccessToken(other.jti)).toMatchObject({ revokedAt: null });
        });

        it('keeps the first revocation time and reason when a family is revoked again, recording its tokens once', async () => {
          const { family, jti } = await login(ada.id);
          await store.families.revoke(family.id, 'logout', T0 + MINUTE);
          const again = await store.families.revoke(family.id, 'admin', T0 + 2 * MINUTE);
          expect(again).toEqual([{ jti, userId: ada.id, expiresAt: T0 + ACCESS_TTL }]);
          expect(await store.families.findByAccessToken(jti)).toMatchObject({ revokedAt: T0 + MINUTE, revokeReason: 'logout' });
          expect((await store.revocations.since(0, T0 + 2 * MINUTE)).entries).toEqual([{ jti, userId: ada.id, expiresAt: T0 + ACCESS_TTL }]);
        });

        it('returns nothing when revoking a family that does not exist', async () => {
          expect(await store.families.revoke('fam-unknown', 'logout', T0)).toEqual([]);
        });

        it('revokes every family of a user and no one else’s', async () => {
          const grace = await createUser('grace');
          const laptop = await login(ada.id);
          const phone = await login(ada.id, { now: T0 + MINUTE, client: PHONE });
          const stale = await login(ada.id, { now: T0 - HOUR });
          const theirs = await login(grace.id);
          await store.families.revoke(stale.family.id, 'logout', T0 - HOUR + MINUTE);

          const revoked = await store.families.revokeAllOfUser(ada.id, 'password_changed', T0 + 2 * MINUTE);
          expect(byJti(revoked)).toEqual(
            byJti([
              { jti: laptop.jti, userId: ada.id, expiresAt: T0 + ACCESS_TTL },
              { jti: phone.jti, userId: ada.id, expiresAt: T0 + MINUTE + ACCESS_TTL },
            ]),
          );
          for (const { jti } of [laptop, phone]) {
            expect(await store.families.findByAccessToken(jti)).toMatchObject({ revokedAt: T0 + 2 * MINUTE, revokeReason: 'password_changed' });
          }
          expect(await store.families.findByAccessToken(stale.jti)).toMatchObject({ revokedAt: T0 - HOUR + MINUTE, revokeReason: 'logout' });
          expect(await store.families.list(ada.id, T0 + 2 * MINUTE)).toEqual([]);
          expect(await store.families.list(grace.id, T0 + 2 * MINUTE)).toEqual([theirs.family]);
          expect(byJti((await store.revocations.since(0, T0 + 2 * MINUTE)).entries)).toEqual(byJti(revoked));
        });

        describe('started by a service\'s token exchange', () => {
          const addService = async (clientId: string, tokenExchangeAt: number | null) => {
            await store.serviceClients.insert({
              name: clientId, clientId, secretHash: `hash-${clientId}`, audience: null, createdAt: T0 - DAY, revokedAt: null, tokenExchangeAt: null,
            });
            if (tokenExchangeAt !== null) await store.serviceClients.setTokenExchange(clientId, tokenExchangeAt);
          };

          it('records the service on the family, and starts one only while the service is active and allowed to exchange', async () => {
            await addService('svc-allowed', T0 - DAY);
            await addService('svc-never', null);
            const { family } = await login(ada.id, { serviceClientId: 'svc-allowed' });
            expect(family.serviceClientId).toBe('svc-allowed');
            expect(await store.families.find(family.id)).toEqual(family);
            await expect(login(ada.id, { serviceClientId: 'svc-never' })).rejects.toMatchObject({ code: 'unauthorized_client' });
            await expect(login(ada.id, { serviceClientId: 'svc-unknown' })).rejects.toMatchObject({ code: 'unauthorized_client' });
            await store.serviceClients.revoke('svc-allowed', T0 + MINUTE);
            await expect(login(ada.id, { serviceClientId: 'svc-allowed' })).rejects.toBeInstanceOf(TesseraError);
            expect(await store.families.list(ada.id, T0 + MINUTE)).toEqual([family]);
          });

          it('revokes every family a service started, and their live access tokens, and no other', async () => {
            const grace = await createUser('grace');
            await addService('svc-a', T0 - DAY);
            await addService('svc-b', T0 - DAY);
            const adaViaA = await login(ada.id, { serviceClientId: 'svc-a', accessTtl: 2 * MINUTE });
            const next = presenting(adaViaA.tokenHash, T0 + MINUTE);
            await store.families.rotate(next);
            const graceViaA = await login(grace.id, { serviceClientId: 'svc-a' });
            const adaViaB = await login(ada.id, { serviceClientId: 'svc-b' });
            const adaOwn = await login(ada.id);

            const revoked = await store.families.revokeAllOfService('svc-a', 'service_revoked', T0 + 3 * MINUTE);
            expect(revoked.families).toBe(2);
            // adaViaA's first access token expired at T0 + 2 min: nothing to revoke there.
            expect(byJti(revoked.accessTokens)).toEqual(
              byJti([
                { jti: next.access.jti, userId: ada.id, expiresAt: next.access.expiresAt },
                { jti: graceViaA.jti, userId: grace.id, expiresAt: T0 + ACCESS_TTL },
              ]),
            );
            expect(await store.families.find(adaViaA.family.id)).toMatchObject({ revokedAt: T0 + 3 * MINUTE, revokeReason: 'service_revoked' });
            expect(await store.families.list(ada.id, T0 + 3 * MINUTE)).toEqual(expect.arrayContaining([adaViaB.family, adaOwn.family]));
            expect(await store.families.list(grace.id, T0 + 3 * MINUTE)).toEqual([]);
            expect(byJti((await store.revocations.since(0, T0 + 3 * MINUTE)).entries)).toEqual(byJti(revoked.accessTokens));
            expect(await store.families.revokeAllOfService('svc-a', 'service_revoked', T0 + 4 * MINUTE)).toEqual({ families: 0, accessTokens: [] });
          });
        });

        it('records single access-token revocations once, however often they are repeated', async () => {
          const entry = { jti: 'at-lone', userId: ada.id, expiresAt: T0 + ACCESS_TTL };
          await store.revocations.record([entry], T0);
          await store.revocations.record([entry], T0 + SECOND);
          await store.revocations.record([], T0 + SECOND);
          expect((await store.revocations.since(0, T0 + SECOND)).entries).toEqual([entry]);
        });

        it('answers whether one access token was revoked', async () => {
          await store.revocations.record([{ jti: 'at-gone', userId: ada.id, expiresAt: T0 + ACCESS_TTL }], T0);
          expect([await store.revocations.isRevoked('at-gone'), await store.revocations.isRevoked('at-kept')]).toEqual([true, false]);
        });
      });

      describe('ending every credential of a user (valid-after)', () => {
        it('revokes every family and live access token and ends every open session, in one step, and says how many', async () => {
          const laptop = await login(ada.id);
          await login(ada.id, { client: PHONE });
          await store.sessions.create({ id: 'sid-ada', userId: ada.id, createdAt: T0, expiresAt: T0 + DAY, ip: null, userAgent: null });
          const ended = await store.validAfter.endUser(ada.id, 'password_reset', T0 + MINUTE);
          expect(ended.families).toBe(2);
          expect(ended.accessTokens).toHaveLength(2);
          expect(ended.sessions).toBe(1);
          expect(await store.families.find(laptop.family.id)).toMatchObject({ revokedAt: T0 + MINUTE, revokeReason: 'password_reset' });
          expect((await store.sessions.find('sid-ada'))!.session.endedAt).toBe(T0 + MINUTE);
          expect(await store.families.rotate(presenting(laptop.tokenHash, T0 + 2 * MINUTE))).toEqual({ status: 'revoked' });
          expect((await store.revocations.since(0, T0 + MINUTE)).entries).toHaveLength(2);
        });

        it('records the move for every instance to read, after a cursor', async () => {
          await store.validAfter.endUser(ada.id, 'admin_sign_out', T0 + MINUTE);
          const first = await store.validAfter.since(0);
          expect(first.moves).toEqual([{ scope: 'user', subject: ada.id, at: T0 + MINUTE }]);
          await store.validAfter.endAll('admin_sign_out_all', T0 + 2 * MINUTE);
          const second = await store.validAfter.since(first.cursor);
          expect(second.moves).toEqual([{ scope: 'all', subject: '', at: T0 + 2 * MINUTE }]);
          expect((await store.validAfter.since(second.cursor)).moves).toEqual([]);
        });

        it('refuses a login or a session proven at or before the valid-after instant, and allows one proven a millisecond after', async () => {
          await store.validAfter.endUser(ada.id, 'password_reset', T0 + MINUTE);
          await expect(login(ada.id, { now: T0 + MINUTE + 5, authenticatedAt: T0 + MINUTE - 1 })).rejects.toBeInstanceOf(CredentialsChangedError);
          await expect(login(ada.id, { now: T0 + MINUTE + 5, authenticatedAt: T0 + MINUTE })).rejects.toBeInstanceOf(CredentialsChangedError);
          await expect(
            store.sessions.create({ id: 'sid-old', userId: ada.id, createdAt: T0 + MINUTE + 5, expiresAt: T0 + DAY, ip: null, userAgent: null, authenticatedAt: T0 })
          ).rejects.toBeInstanceOf(CredentialsChangedError);
          expect(await store.sessions.find('sid-old')).toBeNull();
          const fresh = await login(ada.id, { now: T0 + MINUTE + 5, authenticatedAt: T0 + MINUTE + 1 });
          expect(fresh.family.revokedAt).toBeNull();
        });

        it('ending everyone revokes every family and live access token and ends every session', async () => {
          const bob = await createUser('bob');
          await login(ada.id);
          await login(bob.id);
          await store.sessions.create({ id: 'sid-bob', userId: bob.id, createdAt: T0, expiresAt: T0 + DAY, ip: null, userAgent: null });
          const ended = await store.validAfter.endAll('admin_sign_out_all', T0 + MINUTE);
          expect(ended).toMatchObject({ families: 2, sessions: 1 });
          expect(ended.accessTokens).toHaveLength(2);
          await expect(login(bob.id, { now: T0 + MINUTE, authenticatedAt: T0 + MINUTE - 1 })).rejects.toBeInstanceOf(CredentialsChangedError);
        });
      });

      describe('the revocation feed', () => {
        const entry = (jti: string, expiresAt: number): RevokedAccessToken => ({ jti, userId: 'id-ada', expiresAt });

        it('starts empty, at cursor 0', async () => {
          expect(await store.revocations.since(0, T0)).toEqual({ entries: [], cursor: 0 });
        });

        it('keeps the cursor it was given when nothing new was revoked', async () => {
          await store.revocations.record([entry('at-1', T0 + HOUR)], T0);
          const { cursor } = await store.revocations.since(0, T0);
          expect(await store.revocations.since(cursor, T0)).toEqual({ entries: [], cursor });
        });

        it('returns revocations in the order they were made, then only those after the cursor', async () => {
          await store.revocations.record([entry('at-b', T0 + HOUR), entry('at-a', T0 + 2 * HOUR)], T0);
          const first = await store.revocations.since(0, T0);
          expect(first.entries).toEqual([entry('at-b', T0 + HOUR), entry('at-a', T0 + 2 * HOUR)]);
          expect(first.cursor).toBeGreaterThan(0);

          await store.revocations.record([entry('at-c', T0 + HOUR)], T0 + MINUTE);
          const second = await store.revocations.since(first.cursor, T0 + MINUTE);
          expect(second.entries).toEqual([entry('at-c', T0 + HOUR)]);
          expect(second.cursor).toBeGreaterThan(first.cursor);
        });

        it('leaves out expired entries but moves the cursor past them', async () => {
          await store.revocations.record([entry('at-live', T0 + HOUR)], T0);
          const { cursor } = await store.revocations.since(0, T0);
          await store.revocations.record([entry('at-short', T0 + SECOND)], T0);

          const later = await store.revocations.since(cursor, T0 + 2 * SECOND);
          expect(later.entries).toEqual([]);
          expect(later.cursor).toBeGreaterThan(cursor);
          expect(await store.revocations.since(0, T0 + 2 * SECOND)).toEqual({ entries: [entry('at-live', T0 + HOUR)], cursor: later.cursor });
        });
      });

      describe('listing sessions', () => {
        it("lists a user's live families, most recently used first", async () => {
          const grace = await createUser('grace');
          const older = await login(ada.id, { now: T0 });
          const busy = await login(ada.id, { now: T0 + MINUTE });
          await store.families.rotate(presenting(busy.tokenHash, T0 + 5 * MINUTE, 0, PHONE));
          const revoked = await login(ada.id, { now: T0 + 2 * MINUTE });
          await store.families.revoke(revoked.family.id, 'logout', T0 + 3 * MINUTE);
          await login(ada.id, { now: T0 - 2 * DAY }); // its only token expired a day ago
          await login(grace.id);

          const families = await store.families.list(ada.id, T0 + 10 * MINUTE);
          expect(families).toEqual([
            { ...busy.family, lastUsedAt: T0 + 5 * MINUTE, ip: PHONE.ip, userAgent: PHONE.userAgent },
            older.family,
          ]);
        });

        it('drops a family once its newest token has expired', async () => {
          const { tokenHash } = await login(ada.id, { refreshTtl: HOUR });
          await store.families.rotate({ ...presenting(tokenHash, T0 + MINUTE), next: { id: 'rt-short', tokenHash: 'hash-short', issuedAt: T0 + MINUTE, expiresAt: T0 + 2 * MINUTE } });
          expect(await store.families.list(ada.id, T0 + MINUTE)).toHaveLength(1);
          // The first token would still be valid, but it has been rotated: only the newest one counts.
          expect(await store.families.list(ada.id, T0 + 2 * MINUTE)).toEqual([]);
        });
      });

      describe('for operators', () => {
        it('finds a family by id, revoked or not, and nothing for an unknown id', async () => {
          const { family } = await login(ada.id, { client: PHONE });
          expect(await store.families.find(family.id)).toEqual(family);
          await store.families.revoke(family.id, 'admin', T0 + MINUTE);
          expect(await store.families.find(family.id)).toEqual({ ...family, revokedAt: T0 + MINUTE, revokeReason: 'admin' });
          expect(await store.families.find('fam-unknown')).toBeNull();
        });

        it('counts the live families of every user, leaving out revoked and expired ones', async () => {
          const grace = await createUser('grace');
          expect(await store.families.countActive(T0)).toBe(0);
          await login(ada.id);
          await login(grace.id, { now: T0 + MINUTE });
          const revoked = await login(ada.id);
          await store.families.revoke(revoked.family.id, 'logout', T0 + MINUTE);
          await login(grace.id, { refreshTtl: HOUR });
          expect(await store.families.countActive(T0 + 2 * MINUTE)).toBe(3);
          expect(await store.families.countActive(T0 + HOUR)).toBe(2);
        });

        it("revokes a user's unexpired access tokens but leaves their families able to refresh", async () => {
          const grace = await createUser('grace');
          const laptop = await login(ada.id);
          const short = await login(ada.id, { accessTtl: MINUTE });
          const theirs = await login(grace.id);

          const revoked = await store.revocations.revokeUserAccessTokens(ada.id, T0 + 2 * MINUTE);
          expect(revoked).toEqual([{ jti: laptop.jti, userId: ada.id, expiresAt: T0 + ACCESS_TTL }]);
          expect(byJti((await store.revocations.since(0, T0 + 2 * MINUTE)).entries)).toEqual(revoked);
          expect((await store.families.list(ada.id, T0 + 2 * MINUTE)).map((f) => f.id).sort()).toEqual(
            [laptop.family.id, short.family.id].sort(),
          );
          expectOutcome(await store.families.rotate(presenting(laptop.tokenHash, T0 + 3 * MINUTE)), 'rotated');
          expect(await store.families.findByAccessToken(theirs.jti)).toMatchObject({ revokedAt: null });
          expect(await store.revocations.revokeUserAccessTokens('id-nobody', T0)).toEqual([]);
        });

        it('names only the access tokens not revoked before when revoking all of a user’s', async () => {
          const laptop = await login(ada.id);
          const phone = await login(ada.id);
          await store.families.revoke(laptop.family.id, 'logout', T0 + MINUTE);
          expect(await store.revocations.revokeUserAccessTokens(ada.id, T0 + 2 * MINUTE)).toEqual([{ jti: phone.jti, userId: ada.id, expiresAt: T0 + ACCESS_TTL }]);
          expect(await store.revocations.revokeUserAccessTokens(ada.id, T0 + 3 * MINUTE)).toEqual([]);
          const tablet = await login(ada.id);
          expect(await store.families.revokeAllOfUser(ada.id, 'admin', T0 + 4 * MINUTE)).toEqual([{ jti: tablet.jti, userId: ada.id, expiresAt: T0 + ACCESS_TTL }]);
          expect(await store.families.revokeAllOfUser(ada.id, 'admin', T0 + 5 * MINUTE)).toEqual([]);
          expect(await store.families.list(ada.id, T0 + 5 * MINUTE)).toEqual([]);
        });
      });

      describe('pruning', () => {
        it('deletes expired tokens, revocations and retired keys but keeps what is still live', async () => {
          const live = await login(ada.id);
          const dead = await login(ada.id, { now: T0 - 2 * DAY });
          const liveEntry = { jti: 'at-revoked-live', userId: ada.id, expiresAt: T0 + HOUR };
          const deadEntry = { jti: 'at-revoked-dead', userId: ada.id, expiresAt: T0 - HOUR };
          await store.revocations.record([deadEntry, liveEntry], T0 - 2 * HOUR);
          await store.keys.insertIfNoneActive(signingKey('k1', 'access', T0 - 3 * HOUR));
          await store.keys.rotate(signingKey('k2', 'access', T0 - 2 * HOUR), T0 - MINUTE);
          await store.keys.rotate(signingKey('k3', 'access', T0 - HOUR), T0 + HOUR);

          await store.pruneExpired(T0);

          expect(await store.families.findToken(dead.tokenHash)).toBeNull();
          expect(await store.families.findByAccessToken(dead.jti)).toBeNull();
          expect(await store.families.findToken(live.tokenHash)).not.toBeNull();
          expect(await store.families.findByAccessToken(live.jti)).toEqual(live.family);
          expect(await store.families.list(ada.id, T0)).toEqual([live.family]);
          // Asked as if it were still earlier, the feed shows that the expired entry is gone.
          expect((await store.revocations.since(0, T0 - 3 * HOUR)).entries).toEqual([liveEntry]);
          expect((await store.keys.list()).map((k) => k.kid)).toEqual(['k2', 'k3']);
        });

        it('keeps a family whose first token expired while its newest is live', async () => {
          const { family, tokenHash } = await login(ada.id, { refreshTtl: HOUR });
          const next = presenting(tokenHash, T0 + MINUTE);
          await store.families.rotate(next);
          await store.pruneExpired(T0 + 2 * HOUR);
          expect(await store.families.findToken(tokenHash)).toBeNull();
          expect(await store.families.findToken(next.next.tokenHash)).not.toBeNull();
          expect((await store.families.list(ada.id, T0 + 2 * HOUR)).map((f) => f.id)).toEqual([family.id]);
        });
      });
    });

    describe('audit trail', () => {
      const event = (type: string, at: number, userId: string | null, detail: Record<string, unknown> | null = null) => ({
        at,
        type,
        userId,
        actor: null,
        ip: '192.0.2.1',
        userAgent: 'agent',
        detail,
      });

      it('keeps events with their detail and returns them newest first', async () => {
        await store.audit.append([event('login.success', T0, 'u1', { familyId: 'f1' }), event('logout', T0 + SECOND, 'u1')]);
        const found = await store.audit.query({ limit: 10 });
        expect(found.map((e) => e.type)).toEqual(['logout', 'login.success']);
        expect(found[1]).toMatchObject({ at: T0, userId: 'u1', ip: '192.0.2.1', userAgent: 'agent', detail: { familyId: 'f1' } });
        expect(found[0]!.id).toBeGreaterThan(found[1]!.id);
      });

      it('filters by user, type and time, and pages backwards by id', async () => {
        await store.audit.append([
          event('login.failure', T0, null, { username: 'x' }),
          event('login.success', T0 + MINUTE, 'u1'),
          event('login.success', T0 + 2 * MINUTE, 'u2'),
          event('logout', T0 + 3 * MINUTE, 'u1'),
        ]);
        const types = async (query: Parameters<AuditRepository['query']>[0]) =>
          (await store.audit.query(query)).map((e) => `${e.type}:${e.userId}`);
        expect(await types({ userId: 'u1', limit: 10 })).toEqual(['logout:u1', 'login.success:u1']);
        expect(await types({ type: 'login.success', limit: 10 })).toEqual(['login.success:u2', 'login.success:u1']);
        expect(await types({ since: T0 + MINUTE, until: T0 + 3 * MINUTE, limit: 10 })).toEqual(['login.success:u2', 'login.success:u1']);
        const [newest] = await store.audit.query({ limit: 1 });
        expect(await types({ beforeId: newest!.id, limit: 2 })).toEqual(['login.success:u2', 'login.success:u1']);
      });

      it('appends nothing for an empty batch', async () => {
        await store.audit.append([]);
        expect(await store.audit.query({ limit: 10 })).toEqual([]);
      });

      it('counts distinct users per event type since an instant, and across the types', async () => {
        await store.audit.append([
          event('token.exchange', T0 - DAY, 'u0'),
          event('token.exchange', T0, 'u1'),
          event('token.exchange', T0 + MINUTE, 'u1'),
          event('token.exchange', T0 + MINUTE, 'u2'),
          event('legacy_auth.migrated', T0 + MINUTE, 'u2'),
          event('legacy_auth.migrated', T0 + MINUTE, 'u3'),
          event('legacy_auth.refused', T0 + MINUTE, null),
          event('login.success', T0 + MINUTE, 'u4'),
        ]);
        expect(await store.audit.countUsers(['token.exchange', 'legacy_auth.migrated', 'user.password_rehashed'], T0)).toEqual({
          byType: { 'token.exchange': 2, 'legacy_auth.migrated': 2, 'user.password_rehashed': 0 },
          total: 3,
        });
        expect(await store.audit.countUsers([], T0)).toEqual({ byType: {}, total: 0 });
      });

      it('prunes events older than the retention and reports how many', async () => {
        await store.audit.append([event('old', T0 - DAY, null), event('new', T0, null)]);
        expect(await store.audit.prune(T0 - HOUR)).toBe(1);
        expect((await store.audit.query({ limit: 10 })).map((e) => e.type)).toEqual(['new']);
      });
    });

    describe('legacy sessions', () => {
      let ada: UserRecord;
      beforeEach(async () => {
        ada = await createUser('ada');
      });

      const session = (id: string, overrides: Partial<NewSession> = {}): NewSession => ({
        id,
        userId: ada.id,
        createdAt: T0,
        expiresAt: T0 + DAY,
        ip: LAPTOP.ip,
        userAgent: LAPTOP.userAgent,
        ...overrides,
      });

      it('creates a session, open and last seen at its creation, and finds it with its user', async () => {
        const created = await store.sessions.create(session('sid-1'));
        expect(created).toEqual({
          id: 'sid-1',
          userId: ada.id,
          createdAt: T0,
          lastSeenAt: T0,
          expiresAt: T0 + DAY,
          endedAt: null,
          ip: LAPTOP.ip,
          userAgent: LAPTOP.userAgent,
        });
        const { passwordHash: _hash, ...publicAda } = ada;
        expect(await store.sessions.find('sid-1')).toEqual({ session: created, user: publicAda });
      });

      it('stores a session whose client sent no address or user agent', async () => {
        expect(await store.sessions.create(session('sid-anon', { ip: null, userAgent: null }))).toMatchObject({ ip: null, userAgent: null });
      });

      it('finds nothing for an unknown session id', async () => {
        await store.sessions.create(session('sid-1'));
        expect(await store.sessions.find('sid-unknown')).toBeNull();
      });

      it("shows the user's current state with the session, a disabled account included", async () => {
        await store.sessions.create(session('sid-1'));
        await store.users.update(ada.id, { disabledAt: T0 + HOUR, role: 'admin' }, T0 + HOUR);
        expect((await store.sessions.find('sid-1'))!.user).toMatchObject({ role: 'admin', disabledAt: T0 + HOUR, updatedAt: T0 + HOUR });
      });

      it('moves last seen forward, never back, and not on an ended session', async () => {
        await store.sessions.create(session('sid-1'));
        await store.sessions.touch('sid-1', T0 + 5 * MINUTE);
        await store.sessions.touch('sid-1', T0 + 2 * MINUTE);
        expect((await store.sessions.find('sid-1'))!.session.lastSeenAt).toBe(T0 + 5 * MINUTE);
        await store.sessions.end('sid-1', T0 + 6 * MINUTE);
        await store.sessions.touch('sid-1', T0 + 7 * MINUTE);
        expect((await store.sessions.find('sid-1'))!.session.lastSeenAt).toBe(T0 + 5 * MINUTE);
      });

      it('ends a session once: the first call returns it, later calls and unknown ids return null', async () => {
        await store.sessions.create(session('sid-1'));
        expect(await store.sessions.end('sid-1', T0 + MINUTE)).toMatchObject({ id: 'sid-1', endedAt: T0 + MINUTE });
        expect(await store.sessions.end('sid-1', T0 + 2 * MINUTE)).toBeNull();
        expect(await store.sessions.end('sid-unknown', T0)).toBeNull();
        expect((await store.sessions.find('sid-1'))!.session.endedAt).toBe(T0 + MINUTE);
      });

      it('lets exactly one of several concurrent calls end a session', async () => {
        await store.sessions.create(session('sid-1'));
        const results = await Promise.all([1, 2, 3, 4, 5].map((i) => store.sessions.end('sid-1', T0 + i)));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });

      it('prunes ended and expired sessions and keeps open ones', async () => {
        await store.sessions.create(session('sid-open'));
        await store.sessions.create(session('sid-ended'));
        await store.sessions.create(session('sid-expired', { createdAt: T0 - 2 * DAY, expiresAt: T0 - DAY }));
        await store.sessions.end('sid-ended', T0);
        await store.pruneExpired(T0 + MINUTE);
        expect(await store.sessions.find('sid-open')).not.toBeNull();
        expect(await store.sessions.find('sid-ended')).toBeNull();
        expect(await store.sessions.find('sid-expired')).toBeNull();
      });
    });

    describe('settings', () => {
      it('reads null for a setting never written', async () => {
        expect(await store.settings.read('jwt_rollout_percent')).toBeNull();
      });

      it('writes, overwrites and deletes a setting', async () => {
        await store.settings.write('jwt_rollout_percent', '10', T0);
        await store.settings.write('other', 'x', T0);
        await store.settings.write('jwt_rollout_percent', '50', T0 + MINUTE);
        expect(await store.settings.read('jwt_rollout_percent')).toBe('50');
        await store.settings.delete('jwt_rollout_percent');
        await store.settings.delete('never-written');
        expect(await store.settings.read('jwt_rollout_percent')).toBeNull();
        expect(await store.settings.read('other')).toBe('x');
      });
    });

    describe('rollout overrides', () => {
      it('sets, changes and clears per-user overrides, listed by username', async () => {
        const ada = await createUser('ada');
        const bob = await createUser('bob');
        expect(await store.rolloutOverrides.list()).toEqual([]);
        await store.rolloutOverrides.set(bob.id, false, T0);
        await store.rolloutOverrides.set(ada.id, false, T0);
        await store.rolloutOverrides.set(ada.id, true, T0 + MINUTE);
        expect(await store.rolloutOverrides.list()).toEqual([
          { userId: ada.id, username: 'ada', enabled: true, updatedAt: T0 + MINUTE },
          { userId: bob.id, username: 'bob', enabled: false, updatedAt: T0 },
        ]);
        await store.rolloutOverrides.set(bob.id, null, T0 + 2 * MINUTE);
        await store.rolloutOverrides.set('id-nobody', null, T0 + 2 * MINUTE);
        expect((await store.rolloutOverrides.list()).map((o) => o.username)).toEqual(['ada']);
      });
    });

    describe('legacy usage', () => {
      const count = (userId: string, userAgent: string, firstSeen: number, lastSeen: number, requestCount: number) => ({
        userId,
        userAgent,
        firstSeen,
        lastSeen,
        requestCount,
      });

      it('adds counts per user and client, widening first and last seen', async () => {
        const ada = await createUser('ada');
        await store.legacyUsage.add([count(ada.id, 'python-requests/2.32', T0, T0 + MINUTE, 3), count(ada.id, '', T0, T0, 1)]);
        await store.legacyUsage.add([count(ada.id, 'python-requests/2.32', T0 - HOUR, T0 + HOUR, 4)]);
        expect(await store.legacyUsage.list(T0 - DAY)).toEqual([
          { userId: ada.id, username: 'ada', userAgent: 'python-requests/2.32', firstSeen: T0 - HOUR, lastSeen: T0 + HOUR, requestCount: 7 },
          { userId: ada.id, username: 'ada', userAgent: '', firstSeen: T0, lastSeen: T0, requestCount: 1 },
        ]);
      });

      it('adds up entries for the same user and client within one batch', async () => {
        const ada = await createUser('ada');
        await store.legacyUsage.add([count(ada.id, 'curl/8', T0, T0, 1), count(ada.id, 'curl/8', T0 + MINUTE, T0 + MINUTE, 2)]);
        expect(await store.legacyUsage.list(T0)).toMatchObject([{ userAgent: 'curl/8', firstSeen: T0, lastSeen: T0 + MINUTE, requestCount: 3 }]);
      });

      it('lists only usage last seen since the given time, most recent first, and keeps counts of unknown users', async () => {
        const ada = await createUser('ada');
        const bob = await createUser('bob');
        await store.legacyUsage.add([
          count(ada.id, 'old-client', T0 - 40 * DAY, T0 - 31 * DAY, 9),
          count(bob.id, 'app/1', T0 - DAY, T0 - HOUR, 2),
          count(ada.id, 'app/1', T0 - DAY, T0 - MINUTE, 5),
          count('id-gone', 'app/1', T0 - DAY, T0 - 2 * HOUR, 1),
        ]);
        await store.legacyUsage.add([]);
        const listed = await store.legacyUsage.list(T0 - 30 * DAY);
        expect(listed.map((u) => `${u.username}:${u.userAgent}:${u.requestCount}`)).toEqual(['ada:app/1:5', 'bob:app/1:2', 'null:app/1:1']);
      });
    });

    describe('legacy notices', () => {
      const SUNSET = T0 + 90 * DAY;
      const notice = (userId: string, sunset = SUNSET, sentAt = T0) => ({ userId, sunset, email: `${userId}@example.com`, sentAt });

      it('claims a notice once per user and sunset date: a second claim is refused, another date is a new notice', async () => {
        expect(await store.legacyNotices.claim(notice('id-ada'))).toBe(true);
        expect(await store.legacyNotices.claim(notice('id-ada', SUNSET, T0 + MINUTE))).toBe(false);
        expect(await store.legacyNotices.claim(notice('id-ada', SUNSET + DAY))).toBe(true);
        expect(await store.legacyNotices.claim(notice('id-bob', SUNSET, T0 + HOUR))).toBe(true);
        expect(await store.legacyNotices.list(SUNSET)).toEqual([notice('id-ada'), notice('id-bob', SUNSET, T0 + HOUR)]);
      });

      it('forgets a released claim, so the notice can be claimed again', async () => {
        await store.legacyNotices.claim(notice('id-ada'));
        await store.legacyNotices.release('id-ada', SUNSET);
        expect(await store.legacyNotices.list(SUNSET)).toEqual([]);
        expect(await store.legacyNotices.claim(notice('id-ada'))).toBe(true);
      });
    });

    describe('email confirmations', () => {
      const pending = (userId: string, tokenHash: string, email = `${userId}@example.com`) => ({ userId, email, tokenHash, createdAt: T0, expiresAt: T0 + DAY });

      it('keeps one per user: a new one replaces the one before', async () => {
        await store.emailConfirmations.put(pending('id-ada', 'h1'));
        await store.emailConfirmations.put(pending('id-ada', 'h2', 'ada@example.org'));
        expect(await store.emailConfirmations.find('id-ada')).toEqual(pending('id-ada', 'h2', 'ada@example.org'));
        expect(await store.emailConfirmations.take('h1', 'id-ada')).toBeNull();
      });

      it('is taken once, only by its own user', async () => {
        await store.emailConfirmations.put(pending('id-ada', 'h1'));
        expect(await store.emailConfirmations.take('h1', 'id-bob')).toBeNull();
        expect(await store.emailConfirmations.take('h1', 'id-ada')).toEqual(pending('id-ada', 'h1'));
        expect(await store.emailConfirmations.take('h1', 'id-ada')).toBeNull();
      });

      it('is removed on request and pruned once expired', async () => {
        await store.emailConfirmations.put(pending('id-ada', 'h1'));
        await store.emailConfirmations.put(pending('id-bob', 'h2'));
        await store.emailConfirmations.remove('id-ada');
        expect(await store.emailConfirmations.find('id-ada')).toBeNull();
        await store.pruneExpired(T0 + DAY);
        expect(await store.emailConfirmations.find('id-bob')).toBeNull();
      });
    });

    describe('authenticated requests per hour', () => {
      it('adds counts per hour and way of authenticating, lists them oldest first from a given hour, and prunes old hours', async () => {
        await store.requestCounts.add([
          { hour: T0, via: 'jwt', count: 5 },
          { hour: T0, via: 'session', count: 2 },
          { hour: T0 - HOUR, via: 'jwt', count: 1 },
          { hour: T0, via: 'jwt', count: 3 },
        ]);
        await store.requestCounts.add([{ hour: T0, via: 'jwt', count: 10 }]);
        await store.requestCounts.add([]);
        expect(await store.requestCounts.list(T0 - DAY)).toEqual([
          { hour: T0 - HOUR, via: 'jwt', count: 1 },
          { hour: T0, via: 'jwt', count: 18 },
          { hour: T0, via: 'session', count: 2 },
        ]);
        expect(await store.requestCounts.list(T0)).toHaveLength(2);
        expect(await store.requestCounts.prune(T0)).toBe(1);
        expect((await store.requestCounts.list(0)).map((c) => c.hour)).toEqual([T0, T0]);
      });
    });
  });
}
