import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Retention: `pruned_at` marks an event whose payload (and mapped records and stored error) was blanked; the row, its
 * key, content digest and status stay, since they are what makes a redelivery a duplicate. The partial index holds
 * only the events still to prune (synced or skipped, payload kept), by the time they were finished: the pruner and the
 * oldest-payload gauge read a few entries of it however many pruned rows the table holds, and ingest (rows inserted
 * as `pending`) never writes to it.
 */
export const retentionMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('inbox_events').addColumn('pruned_at', 'varchar(32)').execute();
    // Constants, not parameters, in the predicate, repeated word for word by the queries that use it
    // (`PRUNABLE` in inbox.repository.ts): SQLite uses a partial index only for a query whose WHERE visibly implies it.
    await sql`create index inbox_events_prunable on inbox_events (updated_at) where status in ('synced', 'skipped') and pruned_at is null`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex('inbox_events_prunable').execute();
    await db.schema.alterTable('inbox_events').dropColumn('pruned_at').execute();
  },
};
