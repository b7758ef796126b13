import { describe, expect, it } from 'vitest';
import { Recorder } from '../lib/recorder.js';

describe('the recorder of a load test', () => {
  it('counts a request filed under a second name (its steady-state window) once, not twice', () => {
    const recorder = new Recorder();
    recorder.ok('GET /api/users', 2);
    recorder.ok('GET /api/users', 4);
    recorder.alsoAs('GET /api/users (steady state)', 4);
    recorder.error('POST /auth/refresh', 'HTTP 500');
    expect(recorder.total).toBe(3);
    const results = recorder.results();
    expect(results['GET /api/users']).toMatchObject({ count: 2, max: 4 });
    expect(results['GET /api/users (steady state)']).toMatchObject({ count: 1, max: 4 });
  });

  it("gives a window's requests per second over the window's own seconds", () => {
    const recorder = new Recorder();
    for (let i = 0; i < 60; i += 1) recorder.alsoAs('GET /api/users (steady state)', 1);
    expect(recorder.results({ 'GET /api/users (steady state)': 30 })['GET /api/users (steady state)']!.rps).toBe(2);
  });
});
