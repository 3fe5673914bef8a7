import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../database.js';

/** The sync lease per HubSpot portal (one syncer among several instances), and the epoch each claim was made under. */
export const syncLeasesMigration = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    // Postgres compares lease times on the server's clock; SQLite (one host) keeps ISO text like every other time.
    const time = dialect === 'postgres' ? sql`timestamptz` : sql`varchar(32)`;
    await db.schema
      .createTable('sync_leases')
      .addColumn('portal_id', 'varchar(64)', (col) => col.primaryKey())
      .addColumn('holder', 'varchar(128)', (col) => col.notNull())
      .addColumn('epoch', 'integer', (col) => col.notNull())
      .addColumn('expires_at', time, (col) => col.notNull())
      .addColumn('acquired_at', time, (col) => col.notNull())
      .execute();
    await db.schema.alterTable('inbox_events').addColumn('lease_epoch', 'integer').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('inbox_events').dropColumn('lease_epoch').execute();
    await db.schema.dropTable('sync_leases').execute();
  },
});
