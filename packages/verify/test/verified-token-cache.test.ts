import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../src/verified-token-cache.js';

const SECOND = 1000;

describe('VerifiedTokenCache', () => {
  it('finds a verified token by its exact string, and nothing for any other string', () => {
    const cache = new VerifiedTokenCache<{ exp: number; sub: string }>();
    cache.set('a.b.c', { exp: 100, sub: 'ada' }, 0);
    expect(cache.get('a.b.c')).toEqual({ exp: 100, sub: 'ada' });
    expect(cache.get('a.b.C')).toBeUndefined();
  });

  it('lets go of tokens once they have expired, so memory follows the tokens still valid', () => {
    const cache = new VerifiedTokenCache<{ exp: number }>();
    for (let i = 0; i < 1000; i += 1) cache.set(`early-${i}`, { exp: 60 }, 0);
    expect(cache.size).toBe(1000);
    cache.set('late', { exp: 200 }, 61 * SECOND);
    expect(cache.size).toBe(1);
    expect(cache.get('early-0')).toBeUndefined();
    expect(cache.get('late')).toEqual({ exp: 200 });
  });

  it('keeps tokens still valid behind an expired one until their own expiry', () => {
    const cache = new VerifiedTokenCache<{ exp: number }>();
    cache.set('first', { exp: 10 }, 0);
    cache.set('second', { exp: 100 }, 0);
    cache.set('third', { exp: 100 }, 50 * SECOND);
    expect(cache.get('first')).toBeUndefined();
    expect(cache.get('second')).toEqual({ exp: 100 });
  });

  it('drops the oldest tokens past its capacity', () => {
    const cache = new VerifiedTokenCache<{ exp: number }>(3);
    for (const token of ['t1', 't2', 't3', 't4']) cache.set(token, { exp: 1_000 }, 0);
    expect(cache.size).toBe(3);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t4')).toEqual({ exp: 1_000 });
  });
});

describe('VerifiedTokenCache keys', () => {
  it('gives nothing for a token that ends like a verified one but differs before its end', () => {
    const cache = new VerifiedTokenCache<{ exp: number; role: string }>();
    const signature = 'x'.repeat(64);
    cache.set(`header.payload-user.${signature}`, { exp: 100, role: 'user' }, 0);
    expect(cache.get(`header.payload-admin.${signature}`)).toBeUndefined();
    expect(cache.get(`header.payload-user.${signature}`)).toEqual({ exp: 100, role: 'user' });
  });
});

describe('VerifiedTokenCache admission (tokens verified on first sight)', () => {
  const signature = 's'.repeat(64);

  it('keeps the claims of a token admitted twice, and only a mark that it was seen after the first time', () => {
    const cache = new VerifiedTokenCache<{ exp: number; sub: string }>();
    cache.admit(`h.p.${signature}`, { exp: 100, sub: 'ada' }, 0);
    expect(cache.get(`h.p.${signature}`)).toBeUndefined();
    cache.admit(`h.p.${signature}`, { exp: 100, sub: 'ada' }, 0);
    expect(cache.get(`h.p.${signature}`)).toEqual({ exp: 100, sub: 'ada' });
  });

  it('gives nothing for a token one character away from an admitted one', () => {
    const cache = new VerifiedTokenCache<{ exp: number; role: string }>();
    for (let i = 0; i < 2; i += 1) cache.admit(`header.payload-user.${signature}`, { exp: 100, role: 'user' }, 0);
    expect(cache.get(`header.payload-usex.${signature}`)).toBeUndefined();
    expect(cache.get(`headex.payload-user.${signature}`)).toBeUndefined();
    expect(cache.get(`header.payload-user.${signature}`)).toEqual({ exp: 100, role: 'user' });
  });

  it('lets go of the marks of tokens seen once when they expire, as of verified tokens', () => {
    const cache = new VerifiedTokenCache<{ exp: number }>();
    for (let i = 0; i < 100; i += 1) cache.admit(`h.p.${signature}${String(i).padStart(3, "0")}`, { exp: 60 }, 0);
    expect(cache.size).toBe(100);
    cache.admit(`late.${signature}x`, { exp: 200 }, 61 * SECOND);
    expect(cache.size).toBe(1);
  });
});

