import { describe, expect, it } from 'vitest';
import { keyRingFixtures } from '../support/key-ring.js';

const SECRET = 'first-secret-7b1c9e2f4a6d8b0c3e5f7a9b1d3f5a7c';
const NEXT_SECRET = 'second-secret-2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c';

describe('the key ring', () => {
  const setup = keyRingFixtures(SECRET);

  it('generates the keys on first start and finds the same ones on the next', async () => {
    const { open } = setup();
    const first = await open();
    const second = await open();
    expect(second.signingKey('access').kid).toBe(first.signingKey('access').kid);
    expect(second.signingKey('refresh').kid).toBe(first.signingKey('refresh').kid);
  });

  it('stores private keys sealed, never in the clear', async () => {
    const { open, store } = setup();
    await open();
    for (const key of await store.keys.list()) {
      expect(key.sealedKey).toMatch(/^v1\./);
      expect(key.sealedKey).not.toMatch(/"d"|"p"|"q"/);
      expect(key.publicJwk ?? '').not.toMatch(/"d"/);
    }
  });

  it('rotation signs with the new key at once and keeps the old one verifying until its tokens expire', async () => {
    const { open, clock } = setup();
    const ring = await open();
    const oldKid = ring.signingKey('access').kid;
    const newKid = await ring.rotate();
    expect(ring.signingKey('access').kid).toBe(newKid);
    expect(ring.jwks().keys.map((k) => k.kid).sort()).toEqual([newKid, oldKid].sort());
    expect(ring.verificationKey(oldKid, 'access')).toBeDefined();

    clock.advance(900_000 + 61_000);
    await ring.reload();
    expect(ring.verificationKey(oldKid, 'access')).toBeUndefined();
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([newKid]);
  });

  it('another instance sees a rotation on its next reload, or at once when it meets the new kid', async () => {
    const { open } = setup();
    const a = await open();
    const b = await open();
    const newKid = await a.rotate();
    expect(await b.findVerificationKey(newKid, 'access')).toBeDefined();
    await b.reload();
    expect(b.signingKey('access').kid).toBe(newKid);
  });

  it('looks up an unknown kid in the store at most once a second', async () => {
    const { open, store, clock } = setup();
    const ring = await open();
    let reads = 0;
    const list = store.keys.list.bind(store.keys);
    store.keys.list = async () => ((reads += 1), list());
    for (let i = 0; i < 5; i += 1) await ring.findVerificationKey(`unknown-${i}`, 'access');
    expect(reads).toBe(1);
    clock.advance(1001);
    await ring.findVerificationKey('unknown-x', 'access');
    expect(reads).toBe(2);
  });

  it('switches to a key of the new algorithm when JWT_ALGORITHM changes', async () => {
    const { open } = setup();
    const rsa = await open();
    const es = await open({ algorithm: 'ES256' });
    expect(es.signingKey('access').alg).toBe('ES256');
    expect(es.verificationKey(rsa.signingKey('access').kid, 'access')?.alg).toBe('RS256');
  });

  it('survives a JWT_SECRET rotation: JWT_SECRET_PREVIOUS opens the keys once and they are re-sealed', async () => {
    const { open } = setup();
    const before = await open();
    const kid = before.signingKey('access').kid;
    const rotated = await open({ secrets: { current: NEXT_SECRET, previous: SECRET } });
    expect(rotated.signingKey('access').kid).toBe(kid);
    const after = await open({ secrets: { current: NEXT_SECRET } });
    expect(after.signingKey('access').kid).toBe(kid);
  });

  it('refuses to start with a secret that opens nothing, saying how to fix it', async () => {
    const { open } = setup();
    await open();
    await expect(open({ secrets: { current: NEXT_SECRET } })).rejects.toThrow(/set JWT_SECRET_PREVIOUS/);
  });

  it('never replaces stored keys that no secret opens: it refuses to start and the keys stay as they were', async () => {
    const { open, store } = setup();
    await open();
    const before = await store.keys.list();
    await expect(open({ secrets: { current: NEXT_SECRET } })).rejects.toThrow(/Stored keys are never replaced/);
    expect(await store.keys.list()).toEqual(before);
  });

  it('a ring that does not manage the keys creates none, switches no algorithm and re-seals nothing', async () => {
    const { open, store } = setup();
    expect((await open({ manage: false })).describe()).toEqual([]);
    expect(await store.keys.list()).toEqual([]);
    await open();
    const before = await store.keys.list();
    await open({ manage: false, algorithm: 'ES256', secrets: { current: undefined } });
    await open({ manage: false, secrets: { current: NEXT_SECRET, previous: SECRET } });
    expect(await store.keys.list()).toEqual(before);
  });

  it('a rotation from outside a server refuses a secret that does not open the key it replaces', async () => {
    const { open, store } = setup();
    await open();
    const before = await store.keys.list();
    const outside = await open({ manage: false, secrets: { current: NEXT_SECRET } });
    await expect(outside.rotate('access')).rejects.toThrow(/does not open the active access signing key/);
    expect(await store.keys.list()).toEqual(before);
  });

  it('describes every key with its state', async () => {
    const { open } = setup();
    const ring = await open();
    await ring.rotate();
    const states = ring.describe().filter((k) => k.use === 'access').map((k) => k.state).sort();
    expect(states).toEqual(['active', 'retiring']);
  });

  it('announces every change of the stored keys it makes: a rotation, an algorithm switch', async () => {
    const { open } = setup();
    let announced = 0;
    const announceChange = async () => void (announced += 1);
    const ring = await open({ announceChange });
    expect(announced).toBe(0); // the first keys: every instance creates or finds them itself
    await ring.rotate();
    expect(announced).toBe(1);
    await open({ announceChange, algorithm: 'ES256' });
    expect(announced).toBe(2);
  });

  it('rotates even when the announcement fails: the others reload on their timer', async () => {
    const { open } = setup();
    const ring = await open({ announceChange: () => Promise.reject(new Error('Redis down')) });
    const kid = await ring.rotate();
    expect(ring.signingKey('access').kid).toBe(kid);
  });

  it('a reload asked for while one is under way reads the store again afterwards', async () => {
    const { open, store } = setup();
    const a = await open();
    const b = await open();
    const list = store.keys.list.bind(store.keys);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    store.keys.list = async () => {
      reads += 1;
      const keys = await list();
      if (reads === 1) await gate; // the first read has happened, before the rotation below
      return keys;
    };
    const first = b.reload();
    await new Promise((resolve) => setTimeout(resolve, 10));
    store.keys.list = list;
    const newKid = await a.rotate();
    store.keys.list = async () => ((reads += 1), list());
    const second = b.reload();
    const third = b.reload(); // joins the second: one more read is enough for both
    release();
    await Promise.all([first, second, third]);
    expect(reads).toBe(2);
    expect(b.signingKey('access').kid).toBe(newKid);
  });
});
