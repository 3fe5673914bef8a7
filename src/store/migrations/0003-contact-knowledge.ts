import type { Kysely, Migration } from 'kysely';

/** Which mapped contact properties are known to hold a value, so that fill-if-empty needs no read each time. */
export const contactKnowledgeMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('contact_ledger').addColumn('filled', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('contact_ledger').dropColumn('filled').execute();
  },
};
