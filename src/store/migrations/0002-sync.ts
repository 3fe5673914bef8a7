import { sql, type Kysely, type Migration } from 'kysely';

/** HubSpot sync: per-event outcome and retry schedule, the contact ledger (E.164 → contact) and the call ledger. */
export const syncMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('inbox_events').addColumn('next_attempt_at', 'varchar(32)').execute();
    await db.schema.alterTable('inbox_events').addColumn('hubspot_contact_id', 'varchar(32)').execute();
    await db.schema.alterTable('inbox_events').addColumn('hubspot_call_id', 'varchar(32)').execute();
    // Events mapped before sync existed go through sync now.
    await sql`update inbox_events set status = 'pending' where status = 'mapped'`.execute(db);

    await db.schema
      .createTable('contact_ledger')
      .addColumn('e164', 'varchar(20)', (col) => col.primaryKey())
      .addColumn('contact_id', 'varchar(32)', (col) => col.notNull())
      .addColumn('origin', 'varchar(16)', (col) => col.notNull())
      .addColumn('updated_at', 'varchar(32)', (col) => col.notNull())
      .execute();

    await db.schema
      .createTable('call_ledger')
      .addColumn('call_key', 'varchar(330)', (col) => col.primaryKey())
      .addColumn('call_id', 'varchar(32)')
      .addColumn('contact_id', 'varchar(32)')
      .addColumn('state', 'varchar(16)', (col) => col.notNull())
      .addColumn('intent_at', 'varchar(32)')
      .addColumn('record', 'text')
      .addColumn('updated_at', 'varchar(32)', (col) => col.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('call_ledger').execute();
    await db.schema.dropTable('contact_ledger').execute();
  },
};
