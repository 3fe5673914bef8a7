import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * The operator console (`/console`): its sign-in sessions and its audit log, in the store so that a session opened on
 * one instance holds on every instance sharing a PostgreSQL store.
 *
 * `console_sessions.id` is the SHA-256 (hex) of the session's secret, never the secret itself: whoever reads the table
 * (a backup, a replica) cannot sign in with what it holds. Times are ISO-8601 text, as in the inbox. The audit log
 * keeps who did what (replays, mapping saves, sign-ins): its detail is JSON without secrets or personal data, and its
 * session column only the first 8 hex characters of the stored hash (enough to tell sessions apart).
 */
export const consoleMigration = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('console_sessions')
      .addColumn('id', 'varchar(64)', (col) => col.primaryKey())
      .addColumn('kind', 'varchar(16)', (col) => col.notNull())
      .addColumn('via', 'varchar(16)', (col) => col.notNull())
      .addColumn('csrf_token', 'varchar(64)', (col) => col.notNull())
      .addColumn('created_at', 'varchar(32)', (col) => col.notNull())
      .addColumn('last_seen_at', 'varchar(32)', (col) => col.notNull())
      .addColumn('expires_at', 'varchar(32)', (col) => col.notNull())
      .execute();
    // Sign-in removes the sessions that ran out, by this index.
    await db.schema.createIndex('console_sessions_expires').on('console_sessions').column('expires_at').execute();

    await db.schema
      .createTable('audit_log')
      // As inbox_events' id: SQLite's rowid, PostgreSQL's identity column.
      .addColumn('id', 'integer', (col) =>
        dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
      )
      .addColumn('at', 'varchar(32)', (col) => col.notNull())
      .addColumn('portal_id', 'varchar(64)', (col) => col.notNull())
      .addColumn('actor', 'varchar(16)', (col) => col.notNull())
      .addColumn('session', 'varchar(8)')
      .addColumn('action', 'varchar(64)', (col) => col.notNull())
      .addColumn('detail', 'text', (col) => col.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('audit_log').execute();
    await db.schema.dropTable('console_sessions').execute();
  },
});
