import type { Kysely, Migration } from 'kysely';

/** How many times a call's create has been sent without a recorded answer: repeated unknown outcomes are isolated. */
export const createTriesMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('call_ledger')
      .addColumn('create_tries', 'integer', (col) => col.notNull().defaultTo(0))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('call_ledger').dropColumn('create_tries').execute();
  },
};
