import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTessera, type Tessera } from '../../src/tessera.js';
import { TestClock } from '../support/clock.js';
import { testEnv } from '../support/tessera.js';

const STRONG = 'Zq8#mP2$vL9!xR4@nT6%wK1^bH7&cJ3*dF5(gS0)';

describe('development and production modes', () => {
  const opened: Array<{ t: Tessera; dir: string }> = [];
  afterEach(async () => {
    for (const { t, dir } of opened.splice(0)) {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  async function open(env: Record<string, string>, logged: string[] = []) {
    const { env: full, dir } = testEnv(env);
    const logger = createLogger('warn', { write: (line: string) => logged.push(line) });
    const t = await createTessera(loadConfig(full), { logger, clock: new TestClock() });
    opened.push({ t, dir });
    return t;
  }

  it('development seeds test/test123 and an admin, with a loud warning', async () => {
    const logged: string[] = [];
    const t = await open({ NODE_ENV: 'development' }, logged);
    const test = await t.store.users.findByUsername('test');
    expect(test?.role).toBe('user');
    expect(await t.passwords.verify(test!.passwordHash, 'test123')).toBe(true);
    expect((await t.store.users.findByUsername('admin'))?.role).toBe('admin');
    expect(logged.join('\n')).toMatch(/DEVELOPMENT MODE: seeded demo accounts/);
    expect(logged.join('\n')).not.toMatch(/test123|admin123/);
  });

  it('development without JWT_SECRET generates one and keeps using it across restarts', async () => {
    const { env, dir } = testEnv({ NODE_ENV: 'development', JWT_SECRET: '' });
    const logger = createLogger('silent');
    const first = await createTessera(loadConfig(env), { logger });
    const kid = first.keyRing.signingKey('access').kid;
    await first.close();
    const second = await createTessera(loadConfig(env), { logger });
    expect(second.keyRing.signingKey('access').kid).toBe(kid);
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('production never seeds demo users', async () => {
    const t = await open({ NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com', JWT_SECRET: STRONG });
    expect(await t.store.users.count()).toBe(0);
  });

  it('production refuses to start without a strong JWT_SECRET', () => {
    for (const secret of ['', 'short', 'your-secret-key-here', 'a'.repeat(64), 'your-secret-key-here-and-some-more-text!']) {
      expect(() => loadConfig(testEnv({ NODE_ENV: 'production', JWT_SECRET: secret }).env)).toThrow(/^JWT_SECRET: /);
    }
  });

  it('production refuses to start when JWT_SECRET cannot open the stored keys, and names the fix', async () => {
    const { env, dir } = testEnv({ NODE_ENV: 'production', PUBLIC_URL: 'https://auth.example.com', JWT_SECRET: STRONG });
    const logger = createLogger('silent');
    await (await createTessera(loadConfig(env), { logger })).close();
    const other = { ...env, JWT_SECRET: STRONG.split('').reverse().join('') };
    await expect(createTessera(loadConfig(other), { logger })).rejects.toThrow(/JWT_SECRET_PREVIOUS/);
    rmSync(dir, { recursive: true, force: true });
  });
});
