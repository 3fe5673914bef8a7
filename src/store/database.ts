import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Generated } from 'kysely';

/** Lifecycle of an inbox event: stored → claimed by the worker → mapped (or skipped, or dead with a reason). */
export type InboxStatus = 'pending' | 'processing' | 'mapped' | 'skipped' | 'dead';

export interface InboxEventTable {
  id: Generated<number>;
  vendor: string;
  event_key: string;
  event_name: string;
  /** The event's raw JSON, as received. */
  payload: string;
  content_digest: string;
  correlation_id: string;
  received_at: string;
  updated_at: string;
  /** Bumped when the same event key arrives with different content (a vendor re-grade). */
  revision: number;
  status: InboxStatus;
  attempts: number;
  lease_until: string | null;
  /** JSON `CallRecord[]` once mapped. */
  records: string | null;
  last_error: string | null;
}

export interface StoreSchema {
  inbox_events: InboxEventTable;
}

export type StoreDb = Kysely<StoreSchema>;

/**
 * Opens the embedded SQLite store: WAL so that readers never block the writer, `synchronous=NORMAL` (durable across
 * process crashes; WAL keeps the file consistent across power loss), and a busy timeout for a second process.
 * Only this file and the migrations know the dialect.
 */
export function openSqliteStore(file: string): StoreDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const connection = new BetterSqlite3(file);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  return new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: connection }) });
}

export async function pingStore(db: StoreDb): Promise<void> {
  await sql`select 1`.execute(db);
}
