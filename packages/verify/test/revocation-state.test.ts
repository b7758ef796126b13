import { CLOCK_LEEWAY_SECONDS } from '@tessera/contract';
import { describe, expect, it } from 'vitest';
import { RevocationState } from '../src/revocation-state.js';

const NOW = 1_800_000_000;
const token = (over: Partial<{ jti: string; sub: string; iat: number; kid: string }> = {}) => ({ jti: 'j1', sub: 'u1', iat: NOW - 10, kid: 'k1', ...over });

describe('what the revocation feed said', () => {
  it('refuses a revoked jti, a revoked key, and tokens issued before their user\'s or everyone\'s not_before', () => {
    const state = new RevocationState();
    state.replace({ tokens: [{ jti: 'gone', exp: NOW + 60 }], users: [{ sub: 'u2', not_before: NOW - 5 }], keys: ['leaked'] }, NOW);
    expect(state.refuses(token())).toBe(false);
    expect(state.refuses(token({ jti: 'gone' }))).toBe(true);
    expect(state.refuses(token({ kid: 'leaked' }))).toBe(true);
    expect(state.refuses(token({ sub: 'u2', iat: NOW - 6 }))).toBe(true);
    expect(state.refuses(token({ sub: 'u2', iat: NOW - 5 }))).toBe(false);
    state.add({ tokens: [], users: [], keys: [], not_before_all: NOW }, NOW);
    expect(state.refuses(token({ iat: NOW - 1 }))).toBe(true);
    expect(state.refuses(token({ iat: NOW }))).toBe(false);
  });

  it('a snapshot replaces everything; an update only adds, and instants never move back', () => {
    const state = new RevocationState();
    state.add({ tokens: [{ jti: 'old', exp: NOW + 60 }], users: [{ sub: 'u1', not_before: NOW }], keys: [] }, NOW);
    state.add({ tokens: [], users: [{ sub: 'u1', not_before: NOW - 100 }], keys: [] }, NOW);
    expect(state.refuses(token({ iat: NOW - 1 }))).toBe(true);
    state.replace({ tokens: [], users: [], keys: [] }, NOW);
    expect(state.refuses(token({ jti: 'old' }))).toBe(false);
  });

  it('forgets revoked tokens once they have expired anyway', () => {
    const state = new RevocationState();
    state.add({ tokens: [{ jti: 'a', exp: NOW + 1 }, { jti: 'b', exp: NOW + 100 }], users: [], keys: [] }, NOW);
    state.add({ tokens: [], users: [], keys: [] }, NOW + 2);
    expect(state.size).toBe(1);
  });

  it("forgets a user's not_before once every token issued before it has expired (the maximum lifetime and the clock leeway later)", () => {
    const state = new RevocationState({ maxTokenLifetime: 900 });
    state.add({ tokens: [], users: [{ sub: 'u1', not_before: NOW }], keys: [], not_before_all: NOW }, NOW);
    // The longest-lived token refused by it: issued just before, with the longest lifetime the verifier accepts.
    const longest = token({ iat: NOW - 1 });
    state.add({ tokens: [], users: [], keys: [] }, NOW + 900 + CLOCK_LEEWAY_SECONDS - 1);
    expect(state.size).toBe(1);
    expect(state.refuses(longest)).toBe(true);
    state.add({ tokens: [], users: [{ sub: 'u2', not_before: NOW + 100 }], keys: [] }, NOW + 900 + CLOCK_LEEWAY_SECONDS);
    expect(state.size).toBe(1);
    expect(state.refuses(longest)).toBe(false);
    expect(state.refuses(token({ sub: 'u2', iat: NOW + 99 }))).toBe(true);
  });

  it('keeps not_before instants for the lifetime it is given', () => {
    const state = new RevocationState({ maxTokenLifetime: 3600 });
    state.add({ tokens: [], users: [{ sub: 'u1', not_before: NOW }], keys: [] }, NOW);
    state.add({ tokens: [], users: [], keys: [] }, NOW + 1800);
    expect(state.refuses(token({ iat: NOW - 1 }))).toBe(true);
    state.add({ tokens: [], users: [], keys: [] }, NOW + 3600 + CLOCK_LEEWAY_SECONDS);
    expect(state.size).toBe(0);
  });
});
