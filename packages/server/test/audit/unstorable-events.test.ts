import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/fleet.js';
import { dropSchema, freshSchemaName } from '../support/postgres-schema.js';
import { postgresAvailable } from '../support/services.js';
import { startTestInstance, type TestInstance } from '../support/tessera.js';

const available = await postgresAvailable();

describe.skipIf(!available)('on PostgreSQL, an audit event the database cannot store', () => {
  let t: TestInstance;
  const schema = freshSchemaName();
  beforeAll(async () => {
    t = await startTestInstance({ DATABASE_URL: postgresUrl(schema) });
  });
  afterAll(async () => {
    await t?.close();
    await dropSchema(schema);
  });

  it('is set aside, and the events around it are written', async () => {
    const { audit } = t.tessera;
    audit.record({ type: 'login.failure', detail: { username: 'before', reason: 'unknown_user' } });
    // PostgreSQL's JSONB refuses NUL and unpaired surrogates; whatever reaches the trail, it must not stop it.
    audit.record({ type: 'login.failure', detail: { username: 'x\u0000', reason: 'unknown_user' } });
    audit.record({ type: 'login.failure', detail: { username: 'y\ud800', reason: 'unknown_user' } });
    audit.record({ type: 'login.failure', detail: { username: 'after', reason: 'unknown_user' } });
    await audit.flush();
    const written = await audit.query({ type: 'login.failure', limit: 10 });
    expect(written.map((e) => e.detail?.username)).toEqual(['after', 'before']);
    expect(audit.setAside).toBe(2);
    audit.record({ type: 'login.failure', detail: { username: 'later', reason: 'unknown_user' } });
    expect((await audit.query({ type: 'login.failure', limit: 10 })).map((e) => e.detail?.username)).toEqual(['later', 'after', 'before']);
  });
});
