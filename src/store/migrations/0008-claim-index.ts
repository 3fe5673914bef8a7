import { sql, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from '../database.js';

/**
 * The worker's claim (`InboxRepository.claim`: waiting events, oldest first, a batch at a time) through an index of
 * the waiting events alone, in id order, so that it reads about a batch of index entries however many events the
 * store has kept.
 *
 * PostgreSQL only. Its planner, once statistics show a backlog, walked the primary key in id order and filtered
 * every synced event on the way to the waiting ones, which are the newest: with 1,000,000 stored events a claim took
 * about a second (`npm run bench -- growth`, BENCHMARKS.md). It proves that the claim's condition implies this
 * index's, so the claim needs no change. SQLite's planner reads the claim from `inbox_events_status_id`, one range
 * per waiting status, which already costs the backlog and not the store (measured the same way): an index there
 * would only cost writes.
 */
export const claimIndexMigration = (dialect: StoreDialect): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    if (dialect !== 'postgres') return;
    await sql`create index inbox_events_waiting on inbox_events (id) where status in ('pending', 'processing', 'retrying')`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>): Promise<void> {
    if (dialect !== 'postgres') return;
    await sql`drop index inbox_events_waiting`.execute(db);
  },
});
