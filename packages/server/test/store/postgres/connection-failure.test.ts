import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isConnectionFailure } from '../../../src/store/postgres/connection-failure.js';
import { withAdminClient } from '../../support/postgres-schema.js';
import { POSTGRES_URL, postgresAvailable } from '../../support/services.js';

const available = await postgresAvailable();

/** The error a real `pg` call rejects with. */
async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('isConnectionFailure', () => {
  it('recognises a refused connection', async () => {
    const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    expect(isConnectionFailure(await failureOf(() => client.connect()))).toBe(true);
  });

  it('recognises a host name that does not resolve', async () => {
    const client = new pg.Client({ connectionString: 'postgres://postgres@tessera-no-such-host.invalid/test' });
    expect(isConnectionFailure(await failureOf(() => client.connect()))).toBe(true);
  });

  it('is false for anything that is not an error', () => {
    expect(isConnectionFailure('ECONNREFUSED')).toBe(false);
    expect(isConnectionFailure(undefined)).toBe(false);
  });

  describe.skipIf(!available)('against a running server', () => {
    it('recognises a session the server has terminated', async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      client.on('error', () => undefined);
      await client.connect();
      const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const sleeping = failureOf(() => client.query('SELECT pg_sleep(30)'));
      await withAdminClient((admin) => admin.query('SELECT pg_terminate_backend($1)', [pid]));
      const error = await sleeping;
      expect(error).toMatchObject({ code: '57P01' });
      expect(isConnectionFailure(error)).toBe(true);
      await client.end().catch(() => undefined);
    });

    it('recognises a pool that cannot hand out a connection in time', async () => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1, connectionTimeoutMillis: 100 });
      const held = await pool.connect();
      try {
        expect(isConnectionFailure(await failureOf(() => pool.connect()))).toBe(true);
      } finally {
        held.release();
        await pool.end();
      }
    });

    it('is false for query errors such as bad SQL or a violated constraint', async () => {
      await withAdminClient(async (client) => {
        expect(isConnectionFailure(await failureOf(() => client.query('SELEC 1')))).toBe(false);
        await client.query('CREATE TEMP TABLE t (id int PRIMARY KEY)');
        await client.query('INSERT INTO t VALUES (1)');
        expect(isConnectionFailure(await failureOf(() => client.query('INSERT INTO t VALUES (1)')))).toBe(false);
      });
    });
  });
});
