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
  unverifyChangedEmail: `CREATE FUNCTION users_unverify_changed_email() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.email IS DISTINCT FROM OLD.email AND NEW.email_verified_at IS NOT DISTINCT FROM OLD.email_verified_at THEN
          NEW.email_verified_at := NULL;
        END IF;
        RETURN NEW;
      END
      $$;
      CREATE TRIGGER users_unverify_changed_email BEFORE UPDATE OF email ON users
        FOR EACH ROW EXECUTE FUNCTION users_unverify_changed_email();`,
});
