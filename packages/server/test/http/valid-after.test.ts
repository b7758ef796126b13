import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/passwords/password-hasher.js';
import { adminClient, apiStatus, type AdminClient } from '../support/admin.js';
import { TestClock } from '../support/clock.js';
import { postgresUrl } from '../support/fleet.js';
import { dropSchema, freshSchemaName } from '../support/postgres-schema.js';
import { postgresAvailable } from '../support/services.js';
import { exchange, sessionCookieFor, sessionLogin, withSession } from '../support/sessions.js';
import { createUser, login, loginTokens, refresh, startTestInstance, type TestInstance } from '../support/tessera.js';

const pgAvailable = await postgresAvailable();
const NEW_PASSWORD = 'a brand new passphrase';

/** A hasher whose next password check, once the hash is verified, waits until the test lets it go on: the argon2 queue wait of a loaded server, made deterministic. */
class HeldHasher extends PasswordHasher {
  private held: { entered: () => void; release: Promise<void> } | undefined;

  constructor() {
    super({ memoryCost: 1024, timeCost: 1, parallelism: 1 });
  }

  /** Holds the next verification; resolves `entered` once it has checked the (old) password. */
  holdNext(): { entered: Promise<void>; release: () => void } {
    let entered!: () => void;
    let release!: () => void;
    const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
    this.held = { entered, release: new Promise<void>((resolve) => (release = resolve)) };
    return { entered: enteredPromise, release };
  }

  override async verify(passwordHash: string, password: string): Promise<boolean> {
    const ok = await super.verify(passwordHash, password);
    const held = this.held;
    this.held = undefined;
    if (held) {
      held.entered();
      await held.release;
    }
    return ok;
  }
}

/**
 * Finding 2 of issue 11: a per-user valid-after instant. A reset refuses every credential issued before
 * it — to the millisecond, although token `iat` is whole seconds — and a login whose password check
 * started before the reset gets nothing that outlives it. On SQLite and PostgreSQL.
 */
describe.each([
  ['SQLite', 'sqlite'],
  ['PostgreSQL', 'postgres'],
] as const)('on %s, the valid-after instant of a password reset', (_name, database) => {
  let t: TestInstance;
  let root: AdminClient;
  let schema: string | undefined;
  const hasher = new HeldHasher();
  // On a whole second, so that the tests below can place logins inside one second.
  const clock = new TestClock(Date.UTC(2026, 10, 23, 12, 0, 0));

  beforeAll(async () => {
    if (database === 'postgres' && !pgAvailable) return;
    schema = database === 'postgres' ? freshSchemaName() : undefined;
    t = await startTestInstance(
      { AUTH_RATE_LIMIT: '0', ...(schema ? { DATABASE_URL: postgresUrl(schema) } : {}) },
      { clock, passwords: hasher },
    );
    root = await adminClient(t);
  });
  afterAll(async () => {
    await t?.close();
    if (schema) await dropSchema(schema);
  });

  const reset = (userId: string) =>
    root.call({ method: 'POST', url: `/admin/users/${userId}/password`, payload: { password: NEW_PASSWORD } });

  /** Moves the clock to `ms` past the start of the next whole second. */
  function nextSecondPlus(ms: number): void {
    clock.advance(1000 - (clock.now() % 1000) + ms);
  }

  it('a token login whose password check started before the reset gets no token pair', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const user = await createUser(t.tessera, 'racer');
    const hold = hasher.holdNext();
    const inFlight = login(t.app, 'racer');
    await hold.entered; // the old password has been checked…
    clock.advance(5);
    expect((await reset(user.id)).statusCode).toBe(200); // …and the reset finishes before the login does
    clock.advance(5);
    hold.release();
    const response = await inFlight;
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'invalid_credentials', error_description: expect.stringMatching(/changed.*log in again/) });
    expect((await login(t.app, 'racer', NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('a session login whose password check started before the reset gets no session', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const user = await createUser(t.tessera, 'session-racer');
    const hold = hasher.holdNext();
    const inFlight = sessionLogin(t.app, 'session-racer');
    await hold.entered;
    clock.advance(5);
    expect((await reset(user.id)).statusCode).toBe(200);
    clock.advance(5);
    hold.release();
    const response = await inFlight;
    expect(response.statusCode).toBe(401);
    expect(response.json().error).toBe('invalid_credentials');
    expect(response.cookies.find((c) => c.name === 'session_id' && c.value !== '')).toBeUndefined();
  });

  it('credentials issued 100 ms before the reset, in the same second, are refused; those issued 1 ms after it work', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const user = await createUser(t.tessera, 'edge');
    nextSecondPlus(300);
    const before = await loginTokens(t.app, 'edge');
    const beforeCookie = await sessionCookieFor(t.app, 'edge');
    clock.advance(100); // .400: the reset
    expect((await reset(user.id)).statusCode).toBe(200);
    clock.advance(1); // .401: the same second
    const after = await loginTokens(t.app, 'edge', NEW_PASSWORD);
    const afterCookie = await sessionCookieFor(t.app, 'edge', NEW_PASSWORD);

    expect(await apiStatus(t, before.access_token)).toBe(401);
    expect((await refresh(t.app, before.refresh_token)).statusCode).toBe(401);
    expect((await withSession(t.app, '/api/me', beforeCookie)).statusCode).toBe(401);
    expect((await exchange(t.app, beforeCookie)).statusCode).toBe(401);

    expect(await apiStatus(t, after.access_token)).toBe(200);
    expect((await withSession(t.app, '/api/me', afterCookie)).statusCode).toBe(200);
    expect((await refresh(t.app, after.refresh_token)).statusCode).toBe(200);
    expect((await exchange(t.app, afterCookie)).statusCode).toBe(200);
  });

  it('a credential from the very millisecond of the reset is refused', async ({ skip }) => {
    if (!t) skip('PostgreSQL is unreachable');
    const user = await createUser(t.tessera, 'same-ms');
    nextSecondPlus(500);
    expect((await reset(user.id)).statusCode).toBe(200);
    expect((await login(t.app, 'same-ms', NEW_PASSWORD)).statusCode).toBe(401);
    clock.advance(1);
    expect((await login(t.app, 'same-ms', NEW_PASSWORD)).statusCode).toBe(200);
  });
});
