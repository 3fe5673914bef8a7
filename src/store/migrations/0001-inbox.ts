import { type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../database.js';

export const inboxMigration = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('inbox_events')
      // SQLite: `integer primary key autoincrement`, its rowid. Postgres: an identity column (Kysely's autoIncrement()
      // compiles to MySQL's auto_increment there).
      .addColumn('id', 'integer', (col) =>
        dialect === 'postgres' ? col.primaryKey().generatedByDefaultAsIdentity() : col.primaryKey().autoIncrement(),
      )
      .addColumn('vendor', 'varchar(32)', (col) => col.notNull())
      .addColumn('event_key', 'varchar(320)', (col) => col.notNull())
      .addColumn('event_name', 'varchar(100)', (col) => col.notNull())
      .addColumn('payload', 'text', (col) => col.notNull())
      .addColumn('content_digest', 'char(64)', (col) => col.notNull())
      .addColumn('correlation_id', 'varchar(64)', (col) => col.notNull())
      .addColumn('received_at', 'varchar(32)', (col) => col.notNull())
      .addColumn('updated_at', 'varchar(32)', (col) => col.notNull())
      .addColumn('revision', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('status', 'varchar(16)', (col) => col.notNull())
      .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('lease_until', 'varchar(32)')
      .addColumn('records', 'text')
      .addColumn('last_error', 'text')
      .addUniqueConstraint('inbox_events_vendor_event_key', ['vendor', 'event_key'])
      .execute();
    await db.schema.createIndex('inbox_events_status_id').on('inbox_events').columns(['status', 'id']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('inbox_events').execute();
  },
});
