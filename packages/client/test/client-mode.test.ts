import { describe, expect, it } from 'vitest';
import { chooseMode, isSameSite } from '../src/client-mode.js';

const page = (origin: string) => ({ document: {}, location: { origin } });

describe('choosing cookie or token mode', () => {
  it('uses token mode outside browser pages (Node, React Native) and refuses cookie mode there', () => {
    expect(chooseMode(undefined, 'https://auth.example.com', {})).toBe('token');
    expect(() => chooseMode('cookie', 'https://auth.example.com', {})).toThrow(/browser pages only/);
  });

  it('uses cookie mode for a page on Tessera’s site: another port or a sibling subdomain', () => {
    expect(chooseMode(undefined, 'http://localhost:5000', page('http://localhost:3000'))).toBe('cookie');
    expect(chooseMode(undefined, 'https://auth.example.com', page('https://app.example.com'))).toBe('cookie');
  });

  it('uses token mode for a page on another site, and refuses cookie mode there with the reason', () => {
    expect(chooseMode(undefined, 'http://localhost:5000', page('http://127.0.0.1:3000'))).toBe('token');
    expect(() => chooseMode('cookie', 'http://localhost:5000', page('http://127.0.0.1:3000'))).toThrow(
      /different sites, so the browser treats Tessera's refresh cookie as third-party/,
    );
  });

  it('counts the scheme as part of the site', () => {
    expect(isSameSite('http://app.example.com', 'https://auth.example.com')).toBe(false);
    expect(isSameSite('https://[::1]:3000', 'https://[::1]:5000')).toBe(true);
  });
});
