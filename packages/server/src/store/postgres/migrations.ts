import { migrations } from '../migrations.js';

/** The schema (`store/migrations.ts`) in PostgreSQL's types: BIGINT for millisecond timestamps. */
export const POSTGRES_MIGRATIONS = migrations({
  integer: 'BIGINT',
  identity: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
  json: 'JSONB',
  flag: () => 'BOOLEAN NOT NULL',
  byteOrder: ' COLLATE "C"',
  countUserWrites: `CREATE FUNCTION users_version_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE users_version SET version = version + 1;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER users_version_count AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
        FOR EACH STATEMENT EXECUTE FUNCTION users_version_count();`,
});
