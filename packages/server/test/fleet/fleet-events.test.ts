import { describe, expect, it } from 'vitest';
import { decodeFleetMessage, encodeFleetMessage, type FleetEvent } from '../../src/fleet/fleet-events.js';

describe('fleet messages', () => {
  const events: FleetEvent[] = [
    { type: 'revoked', entries: [{ jti: 'j1', userId: 'u1', expiresAt: 1_800_000_000_000 }] },
    { type: 'keys-changed' },
    { type: 'settings-changed', topic: 'rollout' },
  ];

  it.each(events)('carry a $type event and its sender unchanged', (event) => {
    expect(decodeFleetMessage(encodeFleetMessage({ origin: 'instance-1', event }))).toEqual({
      ok: true,
      message: { origin: 'instance-1', event },
    });
  });

  it('refuse what is not JSON or not a fleet message', () => {
    expect(decodeFleetMessage('{not json')).toEqual({ ok: false, malformed: 'not JSON' });
    expect(decodeFleetMessage(JSON.stringify({ v: 0, origin: 'x', event: { type: 'keys-changed' } }))).toEqual({
      ok: false,
      malformed: 'not a fleet message',
    });
    expect(decodeFleetMessage(JSON.stringify({ v: 1, event: { type: 'keys-changed' } }))).toMatchObject({ ok: false, malformed: 'not a fleet message' });
  });

  it('report a message of a newer format as not understood (a newer instance during a rolling deploy)', () => {
    const raw = JSON.stringify({ v: 2, origin: 'x', event: { type: 'keys-changed' } });
    expect(decodeFleetMessage(raw)).toEqual({ ok: false, notUnderstood: 'format version 2 (this instance reads 1)' });
  });

  it('report a known event in a shape this version cannot read as not understood', () => {
    const bad = { v: 1, origin: 'x', event: { type: 'revoked', entries: [{ jti: 5 }] } };
    expect(decodeFleetMessage(JSON.stringify(bad))).toEqual({ ok: false, notUnderstood: 'a revoked event in an unknown shape' });
    const noTopic = { v: 1, origin: 'x', event: { type: 'settings-changed' } };
    expect(decodeFleetMessage(JSON.stringify(noTopic))).toEqual({ ok: false, notUnderstood: 'a settings-changed event in an unknown shape' });
  });

  it('read a known event that carries fields added by a newer version', () => {
    const raw = JSON.stringify({ v: 1, origin: 'x', event: { type: 'settings-changed', topic: 'rollout', by: 'cli' } });
    expect(decodeFleetMessage(raw)).toEqual({ ok: true, message: { origin: 'x', event: { type: 'settings-changed', topic: 'rollout' } } });
  });

  it('report an event type this version does not know as not understood, including names of Object.prototype', () => {
    for (const type of ['sessions-changed', 'toString', '__proto__', 'constructor']) {
      const raw = JSON.stringify({ v: 1, origin: 'x', event: { type } });
      expect(decodeFleetMessage(raw)).toEqual({ ok: false, notUnderstood: `event type ${JSON.stringify(type)}` });
    }
  });
});
