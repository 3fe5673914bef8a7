import type { Kysely, Migration } from 'kysely';

/**
 * The mapping in force per HubSpot portal, shared by every instance on the store: each version of mapping.yaml's text
 * that went into force, numbered upwards, with its digest and who stored it when. History is kept (the version is
 * part of the key): it tells a file that was in force once (an instance starting with an older file) from one never
 * stored (a deploy with a new file), shows who changed the mapping when, and keeps earlier texts for going back. A
 * row is added only when the text changes, a few kilobytes each. Times are ISO-8601 text, as in the inbox.
 */
export const mappingVersionsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('mapping_versions')
      .addColumn('portal_id', 'varchar(64)', (col) => col.notNull())
      .addColumn('version', 'integer', (col) => col.notNull())
      .addColumn('yaml', 'text', (col) => col.notNull())
      .addColumn('digest', 'varchar(64)', (col) => col.notNull())
      .addColumn('stored_at', 'varchar(32)', (col) => col.notNull())
      .addColumn('stored_by', 'varchar(128)', (col) => col.notNull())
      .addColumn('trigger', 'varchar(64)', (col) => col.notNull())
      .addPrimaryKeyConstraint('mapping_versions_pk', ['portal_id', 'version'])
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('mapping_versions').execute();
  },
};
