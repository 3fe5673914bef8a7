import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { DatabaseSettings } from '../../config/env.schema.js';
import { checkStoreReachable, openStore, storeDialect, type StoreDb, type StoreDialect } from '../database.js';
import { inboxMigration } from './0001-inbox.js';
import { syncMigration } from './0002-sync.js';
import { contactKnowledgeMigration } from './0003-contact-knowledge.js';
import { createTriesMigration } from './0004-create-tries.js';
import { syncLeasesMigration } from './0005-sync-leases.js';
import { mappingVersionsMigration } from './0006-mapping-versions.js';
import { retentionMigration } from './0007-retention.js';
import { claimIndexMigration } from './0008-claim-index.js';
import { portalKeysMigration } from './0009-portal-keys.js';
import { inboxClaimsMigration } from './0010-inbox-claims.js';
import { recordingsMigration } from './0011-recordings.js';
import { consoleMigration } from './0012-console.js';

/**
 * Migrations live in code (not a folder scan) so that the compiled app and the tests run the same list: one list for
 * both dialects, each migration told which it runs on (Kysely records names only, so a changed DDL detail for one
 * dialect leaves existing stores of the other as they are).
 */
const migrations = (dialect: StoreDialect): Record<string, Migration> => ({
  '0001-inbox': inboxMigration(dialect),
  '0002-sync': syncMigration,
  '0003-contact-knowledge': contactKnowledgeMigration,
  '0004-create-tries': createTriesMigration,
  '0005-sync-leases': syncLeasesMigration(dialect),
  '0006-mapping-versions': mappingVersionsMigration,
  '0007-retention': retentionMigration,
  '0008-claim-index': claimIndexMigration(dialect),
  '0009-portal-keys': portalKeysMigration(dialect),
  '0010-inbox-claims': inboxClaimsMigration,
  '0011-recordings': recordingsMigration(dialect),
  '0012-console': consoleMigration(dialect),
});

/** The store's migrations on `db`: `migrateToLatest` runs them all; tests build a store of an earlier release with it. */
export function storeMigrator(db: StoreDb): Migrator {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations(storeDialect(db))) };
  return new Migrator({ db, provider });
}

export async function migrateToLatest(db: StoreDb): Promise<void> {
  const { error, results } = await storeMigrator(db).migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- Kysely may reject with anything; text is all we can show
    const reason = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new Error(`store migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
}

/**
 * The store `DATABASE_URL` names, reachable and migrated: what the application and every command-line tool start
 * with. On failure nothing is left open, and the error names the server (never the password).
 */
export async function openMigratedStore(
  database: DatabaseSettings,
  onPoolError?: (error: Error) => void,
): Promise<StoreDb> {
  const db = openStore(database, onPoolError);
  try {
    await checkStoreReachable(db, database);
    await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}
