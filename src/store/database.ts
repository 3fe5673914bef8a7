import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresAdapter, PostgresDialect, SqliteDialect, sql, type Expression, type Generated } from 'kysely';
import pg from 'pg';
import { ownValue } from '../common/own-value.js';
import type { DatabaseSettings } from '../config/env.schema.js';

/**
 * Lifecycle of an inbox event: stored (`pending`) → claimed by the worker (`processing`) → `synced` to HubSpot;
 * or `retrying` after a failure worth another try, `skipped` (an event that carries no call), `dead` (a permanent
 * failure, with the reason; replayable). A claim is a row of `inbox_claims`: the event's own `status` column stays
 * `pending` or `retrying` meanwhile, and the inbox repository reports it `processing` (as it does an event whose
 * column says `processing`, claimed by the release before `inbox_claims`).
 */
export type InboxStatus = 'pending' | 'processing' | 'synced' | 'retrying' | 'skipped' | 'dead';
export const INBOX_STATUSES: InboxStatus[] = ['pending', 'processing', 'synced', 'retrying', 'skipped', 'dead'];
/** Events waiting to sync: not yet in HubSpot and not given up on (stored, in flight, or due for another try). */
export const WAITING_STATUSES: InboxStatus[] = ['pending', 'processing', 'retrying'];

export interface InboxEventTable {
  id: Generated<number>;
  /**
   * The HubSpot portal the event is for (`DEFAULT_PORTAL` in a single-portal deployment): part of the dedupe key
   * (portal_id, vendor, event_key). Required on insert, though the column defaults to `default` for rows stored
   * before it existed, so that no write forgets it.
   */
  portal_id: string;
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
  /** A claim's lease as the release before `inbox_claims` wrote it; claims now live there (`InboxClaimTable`). */
  lease_until: string | null;
  /** JSON `CallRecord[]` once mapped. */
  records: string | null;
  last_error: string | null;
  next_attempt_at: string | null;
  hubspot_contact_id: string | null;
  hubspot_call_id: string | null;
  /** The sync lease's epoch of a claim the release before `inbox_claims` made (see `lease_until`). */
  lease_epoch: number | null;
  /**
   * When retention pruned the event: its `payload` is then empty and `records` and `last_error` null; its key,
   * content digest, status and HubSpot ids stay (a redelivery is still a duplicate). Null while the payload is kept.
   */
  pruned_at: string | null;
}

/**
 * The events the worker has claimed and not yet settled or handed back (migration `0010-inbox-claims`), one row each:
 * a handful of rows however large the inbox grows.
 */
export interface InboxClaimTable {
  event_id: number;
  /** Until when the claim holds: afterwards the event may be claimed again (its worker is presumed dead). */
  lease_until: string;
  /** The sync lease's epoch under which the event was claimed: a new leader hands back claims of older epochs. */
  lease_epoch: number | null;
  claimed_at: string;
}

/** Keyed by (portal_id, e164): a number is a contact in each portal's own CRM. */
export interface ContactLedgerTable {
  portal_id: string;
  e164: string;
  contact_id: string;
  /** How the connector came to know the contact: `created` or `matched` by the upsert, `adopted` through search. */
  origin: string;
  updated_at: string;
  /** JSON list of mapped properties known to hold a value (fill-if-empty skips them without reading). */
  filled: string | null;
}

/** Keyed by (portal_id, call_key). */
export interface CallLedgerTable {
  portal_id: string;
  /** `vendor:vendor call id`. */
  call_key: string;
  call_id: string | null;
  contact_id: string | null;
  /**
   * `creating`: a create was sent (or about to be) and its answer not recorded: before creating again, the call
   * is looked up by its key in HubSpot. `synced`: `call_id` is the call. `deferred`: only events configured to
   * update have come; their data waits in `record` for an event that creates the call.
   */
  state: 'creating' | 'synced' | 'deferred';
  /** When the latest create was sent: a key search that misses is trusted only once this is older than the lag. */
  intent_at: string | null;
  /** Creates sent without a recorded answer (each after a lookup that did not find the call). */
  create_tries: Generated<number>;
  /** JSON of the call as last written: later events of the call are merged into it. */
  record: string | null;
  updated_at: string;
}

/**
 * One syncer per HubSpot portal: the instance holding the unexpired lease syncs. `epoch` grows with every new
 * holder (a fencing token). `expires_at`: server time on PostgreSQL (timestamptz, so that instances' clocks do not
 * matter); ISO-8601 text on SQLite (one file, one host).
 */
export interface SyncLeaseTable {
  portal_id: string;
  holder: string;
  epoch: number;
  expires_at: string | Date;
  acquired_at: string | Date;
}

/** The mapping in force per portal, one row per version of mapping.yaml's text (see `MappingVersionRepository`). */
export interface MappingVersionTable {
  portal_id: string;
  version: number;
  yaml: string;
  /** SHA-256 (hex) of `yaml`. */
  digest: string;
  stored_at: string;
  /** The instance that stored it. */
  stored_by: string;
  /** `start`, `admin request`, `SIGHUP`, `file change`. */
  trigger: string;
}

/**
 * Where a call's recording is in the recordings stage (migration `0011-recordings`): `pending` (to fetch and upload;
 * `attempts` and `last_error` tell a retry), `uploading` (an upload was sent and its answer not recorded: looked up by
 * its file name before any new upload), `uploaded` (the file is in HubSpot, the call not yet pointed at it), `stored`
 * (done), `dead` (given up, with the reason; replayable).
 */
export type RecordingState = 'pending' | 'uploading' | 'uploaded' | 'stored' | 'dead';
export const RECORDING_STATES: RecordingState[] = ['pending', 'uploading', 'uploaded', 'stored', 'dead'];

export interface RecordingTable {
  portal_id: string;
  call_key: string;
  vendor: string;
  vendor_call_id: string;
  state: RecordingState;
  /** JSON: where the audio comes from (`RecordingSource`). */
  source: string;
  attempts: number;
  next_attempt_at: string;
  /** While a worker handles the row: until when (afterwards it is taken again). */
  lease_until: string | null;
  /** The file's name and folder in HubSpot, fixed before the first upload is sent (the key to find a lost upload). */
  file_name: string | null;
  folder: string | null;
  upload_started_at: string | null;
  file_id: string | null;
  file_url: string | null;
  bytes: number | string | null;
  sha256: string | null;
  /** How the stored file was put on the call (`attach` or `link`). */
  mode: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  stored_at: string | null;
}

/** Audio a vendor sent in a webhook, kept until the recordings stage has stored it in HubSpot. */
export interface RecordingAudioTable {
  portal_id: string;
  vendor: string;
  vendor_call_id: string;
  audio: Buffer;
  content_type: string;
  bytes: number;
  sha256: string;
  received_at: string;
}

/** A sign-in to the operator console (migration `0012-console`). */
export interface ConsoleSessionTable {
  /** SHA-256 (hex) of the session's secret (the cookie's value), never the secret. */
  id: string;
  kind: 'admin' | 'viewer';
  /** How it was opened: with a token, or with sandbox mode's one-time start-up link. */
  via: 'token' | 'sandbox-link';
  /** The value state-changing requests must send in `x-csrf-token`. */
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  /** The session's absolute end (it also ends after an idle time: see the console's session settings). */
  expires_at: string;
}

/** What was done through the console, by whom (migration `0012-console`). */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  portal_id: string;
  /** `admin`, `viewer`, or `sandbox-link` (a session opened with sandbox mode's start-up link). */
  actor: string;
  /** The first 8 hex characters of the session's stored hash. */
  session: string | null;
  /** `replay`, `mapping.save`, `mapping.reload`, `session.sign-in`, `session.sign-out`, `samples.send`. */
  action: string;
  /** JSON, without secrets or personal data. */
  detail: string;
}

export interface StoreSchema {
  inbox_events: InboxEventTable;
  inbox_claims: InboxClaimTable;
  contact_ledger: ContactLedgerTable;
  call_ledger: CallLedgerTable;
  sync_leases: SyncLeaseTable;
  mapping_versions: MappingVersionTable;
  recordings: RecordingTable;
  recording_audio: RecordingAudioTable;
  console_sessions: ConsoleSessionTable;
  audit_log: AuditLogTable;
}

export type StoreDb = Kysely<StoreSchema>;

/**
 * The largest id a row of `inbox_events` or `audit_log` can have: on PostgreSQL they are `integer` identity columns
 * (32-bit). PostgreSQL types a parameter compared with such a column as `integer` too, and refuses a larger number
 * with an error (22003, out of range) instead of matching nothing; so an id a client names is checked against this
 * first (`possibleId`), on SQLite alike.
 */
export const MAX_ROW_ID = 2_147_483_647;

/** Whether a row could have this id (a whole number from 1 to `MAX_ROW_ID`). */
export function possibleId(id: number): boolean {
  return Number.isSafeInteger(id) && id >= 1 && id <= MAX_ROW_ID;
}

/** The SQL dialect under the store: the few queries that differ (row locks, identity columns) branch on it. */
export type StoreDialect = 'sqlite' | 'postgres';

export function storeDialect(db: StoreDb): StoreDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * "Now" as the sync lease's times are judged: the server's clock on PostgreSQL (instances' clocks never disagree
 * about who leads), the application's on SQLite (one file on one host).
 */
export function leaseNow(dialect: StoreDialect, now: Date): Expression<string> | string {
  return dialect === 'postgres' ? sql<string>`now()` : now.toISOString();
}

/** Opens the store `DATABASE_URL` names (not yet connected for Postgres: see `checkStoreReachable`). */
export function openStore(database: DatabaseSettings, onPoolError?: (error: Error) => void): StoreDb {
  return database.kind === 'postgres' ? openPostgresStore(database, onPoolError) : openSqliteStore(database.file);
}

/** Where the store is, for messages and logs: the file, or the server and database (never the URL: it holds the password). */
export function describeStore(database: DatabaseSettings): string {
  return database.kind === 'postgres' ? `postgres ${database.host}/${database.name}` : database.file;
}

// int8 (counts, sums) as numbers, as SQLite gives them; our ids are int4 identities and never reach 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

/**
 * A PostgreSQL store: a pool of `DATABASE_POOL_SIZE` connections; TLS as the URL's `sslmode` says (the driver reads
 * it). Shared tables keep the SQLite shapes (ISO-8601 UTC text for times, JSON as text), so the same store code runs.
 */
export function openPostgresStore(
  database: Extract<DatabaseSettings, { kind: 'postgres' }>,
  onPoolError: (error: Error) => void = () => undefined,
): StoreDb {
  const pool = new pg.Pool({
    connectionString: database.url,
    max: database.poolSize,
    connectionTimeoutMillis: 10_000,
    // A stalled server must not hold webhooks or the worker without bound: statements end after 30 s, and a
    // transaction left idle (a process frozen or cut off mid-transaction) is ended by the server, releasing its
    // locks: after a third of the sync lease's TTL (see `idleInTransactionMs`), else 60 s.
    statement_timeout: 30_000,
    query_timeout: 35_000,
    idle_in_transaction_session_timeout: database.idleInTransactionMs ?? 60_000,
  });
  // An idle connection the server dropped must not crash the process; the next query opens a new one.
  pool.on('error', onPoolError);
  // Nor one in use: the server ends a session left idle in a transaction (a process frozen or cut off mid-
  // transaction, see idle_in_transaction_session_timeout), and a client's 'error' with no listener would throw. Its
  // next query fails (and is reported by its caller), and the pool drops the client when it is given back.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
}

/** The store cannot be used: the message names the server, never the password. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

const POSTGRES_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (is PostgreSQL running there?)',
  ENOTFOUND: 'the host name is not known',
  EAI_AGAIN: 'the host name could not be resolved',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the server closed the connection',
  '28P01': 'the user name or password is wrong',
  '28000': 'the server refuses this user from this address (pg_hba.conf)',
  '3D000': 'the database does not exist',
  '42501': 'the user lacks a privilege the store needs',
};

/** Fails with a clear `StoreUnavailableError` when the store cannot be reached or logged in to. */
export async function checkStoreReachable(db: StoreDb, database: DatabaseSettings): Promise<void> {
  if (database.kind !== 'postgres') return;
  try {
    await pingStore(db);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason =
      typeof code === 'string'
        ? (ownValue(POSTGRES_PROBLEMS, code) ?? `error ${code}`)
        : /timeout/i.test(error instanceof Error ? error.message : '')
          ? 'the connection timed out'
          : 'the server could not be reached';
    throw new StoreUnavailableError(`cannot use the store at ${describeStore(database)}: ${reason}`);
  }
}

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
  return new Kysely<StoreSchema>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
}

/** Statements kept prepared, by SQL text (the query builder asks for the same few again and again). */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query anew, which profiling showed to be a tenth of the webhook path's CPU.
 * better-sqlite3 statements are reusable, so the same SQL gets the same prepared statement (bounded, oldest out).
 */
function withStatementCache(connection: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = connection.prepare.bind(connection);
  return new Proxy(connection, {
    get(target, property, receiver) {
      if (property !== 'prepare') return Reflect.get(target, property, receiver) as unknown;
      return (sql: string) => {
        let statement = cache.get(sql);
        if (!statement) {
          statement = prepare(sql);
          if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
          cache.set(sql, statement);
        }
        return statement;
      };
    },
  });
}

export async function pingStore(db: StoreDb): Promise<void> {
  await sql`select 1`.execute(db);
}
