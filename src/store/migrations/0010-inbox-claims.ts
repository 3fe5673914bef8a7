import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The worker's claims move out of `inbox_events` into a table of their own: one row per event in flight, with its
 * lease. Claiming then inserts small rows into a small table instead of writing a new version of each claimed event
 * (its status was indexed, so every claim inserted entries into every index of `inbox_events`, whose cost grew with
 * the store: `npm run bench -- growth`, BENCHMARKS.md). An event keeps its status (`pending`, `retrying`) while
 * claimed and is reported `processing` (`InboxRepository`).
 *
 * Expand only: `inbox_events.status = 'processing'`, `lease_until` and `lease_epoch` stay, since the previous release
 * claims that way and keeps running beside this one during an upgrade; this release still reads, hands back and
 * reclaims such claims. No foreign key: events are never deleted (retention blanks a payload and keeps the row), and
 * a key check per claimed row would cost what this table saves.
 */
export const inboxClaimsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('inbox_claims')
      .addColumn('event_id', 'integer', (col) => col.primaryKey())
      .addColumn('lease_until', 'varchar(32)', (col) => col.notNull())
      .addColumn('lease_epoch', 'integer')
      .addColumn('claimed_at', 'varchar(32)', (col) => col.notNull())
      .execute();
  },
  /** Back to claims in `inbox_events`, as the previous release makes them. */
  async down(db: Kysely<unknown>): Promise<void> {
    const claim = (column: string) =>
      sql`(select ${sql.ref(`inbox_claims.${column}`)} from inbox_claims where inbox_claims.event_id = inbox_events.id)`;
    await sql`update inbox_events set status = 'processing', lease_until = ${claim('lease_until')},
        lease_epoch = ${claim('lease_epoch')}, updated_at = ${claim('claimed_at')}
      where status in ('pending', 'retrying', 'processing')
        and id in (select event_id from inbox_claims)`.execute(db);
    await db.schema.dropTable('inbox_claims').execute();
  },
};
