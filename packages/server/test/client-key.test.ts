import { describe, expect, it } from 'vitest';
import { clientKey } from '../src/client-key.js';

/** What every per-client limit counts under (src/client-key.ts): an IPv6 client is its /64. */
describe('the key a client is counted under', () => {
  it.each([
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0001', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8::/64'],
    ['2001:db8::1:0:0:1', '2001:db8::/64'],
    ['2001:db8:0:0:1::1', '2001:db8::/64'],
    ['2001:0:0:1::', '2001:0:0:1::/64'],
    ['::1', '::/64'],
    ['::', '::/64'],
    ['fe80::1%eth0', 'fe80::/64'],
  ])('an IPv6 address is its /64: %s → %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it('two addresses of one /64 are one client; a neighbouring /64 is another', () => {
    expect(clientKey('2001:db8:1:2::a')).toBe(clientKey('2001:db8:1:2:ffff::b'));
    expect(clientKey('2001:db8:1:3::a')).not.toBe(clientKey('2001:db8:1:2::a'));
  });

  it.each([
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
  ])('an IPv4-mapped IPv6 address is its IPv4 address: %s → %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it.each(['203.0.113.7', '10.0.0.1', '127.0.0.1', '0.0.0.0'])('an IPv4 address is itself: %s', (address) => {
    expect(clientKey(address)).toBe(address);
  });

  it.each(['', 'unknown', 'not an address', '2001:db8::1::2', '2001:db8:1:2:3:4:5:6:7', '[::1]', '256.1.1.1', '::ffff:1.2.3', 'gggg::1'])(
    'anything that is not an address is counted as written: %j',
    (text) => {
      expect(clientKey(text)).toBe(text);
    },
  );
});
