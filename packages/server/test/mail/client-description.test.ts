import { describe, expect, it } from 'vitest';
import { describeClient } from '../../src/mail/client-description.js';
import { legacyNoticeMessage } from '../../src/mail/legacy-notice-message.js';

describe('clients named in an email', () => {
  it('names a browser and its system from the User-Agent', () => {
    expect(describeClient('Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0')).toBe('Firefox on Linux');
    expect(describeClient('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36')).toBe(
      'Chrome on Windows',
    );
  });

  it('says "an unrecognised client" for anything else, naming at most a system it recognised', () => {
    expect(describeClient('python-requests/2.32.3')).toBe('an unrecognised client');
    expect(describeClient('ACTION REQUIRED: your account is locked. Re-verify at https://evil.example')).toBe('an unrecognised client');
    expect(describeClient('evil-bot/1.0 (Linux; Re-verify at https://evil.example)')).toBe('an unrecognised client on Linux');
    expect(describeClient('')).toBe('a client that sends no User-Agent');
  });

  it('puts each description in the notice once, and never the header text', () => {
    const hostile = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0 CALL +1-555-0100 NOW';
    const message = legacyNoticeMessage({
      username: 'rosa',
      to: 'rosa@example.com',
      clients: [hostile, 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'curl/8.5.0', ''],
      sunset: Date.UTC(2027, 2, 1),
      guideUrl: 'https://auth.example.com/docs/auth-migration-guide.md',
      serviceUrl: 'https://auth.example.com',
    });
    expect(message.text).toContain('  - Firefox on Linux\n  - an unrecognised client\n  - a client that sends no User-Agent\n');
    expect(message.text.match(/Firefox on Linux/g)).toHaveLength(1);
    expect(message.text).not.toMatch(/CALL|555|curl|Mozilla/);
  });
});
