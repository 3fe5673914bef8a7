import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_API_VERSION, isApiVersion } from '../hubspot/hubspot-api-paths.js';
import { ownValue } from '../common/own-value.js';
import { vendorDefinitions } from '../vendors/vendors.js';
import { configDirFrom, registerDefinedVendors } from './defined-vendors.js';

/**
 * Where the store is: the embedded SQLite file, or a PostgreSQL server (`url` holds the password: it is passed to the
 * driver only; messages name `host` and `name`).
 */
export type DatabaseSettings =
  | { kind: 'sqlite'; file: string }
  | {
      kind: 'postgres';
      url: string;
      host: string;
      name: string;
      poolSize: number;
      /**
       * How long the server lets a transaction sit idle before it ends the session (60 s when not set). Set below
       * the sync lease's TTL: a leader frozen or cut off mid-transaction holds row locks (the lease row's share
       * lock among them) that would otherwise keep the next leader from taking over until then.
       */
      idleInTransactionMs?: number;
    };

/** The validated environment. Built once at start-up; nothing else reads `process.env`. */
export interface AppEnv {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  hubspotAccessToken: string | null;
  hubspotBaseUrl: string;
  database: DatabaseSettings;
  /** Each vendor's shared secret by vendor id (the setting each vendor's definition names), null when not set. */
  webhookSecrets: Record<string, string | null>;
  adminToken: string | null;
  /** The operator console (`/console`): its viewer token, how long sessions last, where its built files are. */
  console: ConsoleEnv;
  /**
   * Settings this run made up because they were not set (sandbox mode only, see `withSandboxSecrets`): their names,
   * never their values.
   */
  generatedSecrets: string[];
  configDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  webhookMaxBodyBytes: number;
  /** Bytes that bodies not yet authenticated (read before their signature is checked) may hold at once. */
  webhookUnverifiedBytes: number;
  workerBatchSize: number;
  workerPollIntervalMs: number;
  /**
   * `TRUST_PROXY`: false (no proxy: the socket's address is the sender's); a number of proxy hops in front of the
   * connector; or the proxies' addresses and ranges. The sender is then the address the nearest untrusted hop named,
   * never a left-most `X-Forwarded-For` entry a client could write.
   */
  trustProxy: false | number | string[];
  /** HTTP server limits (see `limitConnections`) and the webhook secret-guessing limit. */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    idleTimeoutMs: number;
    maxConnections: number;
    maxConnectionsPerAddress: number;
    authFailuresPerMinute: number;
  };
  hubspot: {
    /** `HUBSPOT_API_VERSION`: the dated HubSpot API version every path uses (or `v3`, the legacy paths). */
    apiVersion: string;
    burstPer10s: number;
    searchPerSecond: number;
    requestTimeoutMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    /** While sync is paused (daily limit, auth), how often HubSpot is asked whether it takes requests again. */
    probeIntervalMs: number;
    /** How long HubSpot search may lag behind writes (see `SyncOptions.searchLagMs`). */
    searchLagMs: number;
    /** Sandbox mode: the port of the built-in emulator. */
    emulatorPort: number;
  };
  sync: {
    /** False: this instance only takes webhooks into the store (another one syncs). */
    enabled: boolean;
    /** A partial batch waits this long for company before it is sent, so that bursts share requests. */
    lingerMs: number;
    /** First wait before a failed record is tried again; doubles per attempt. */
    retryBaseMs: number;
    maxAttempts: number;
    /**
     * The sync lease (one syncing instance per HubSpot portal): how long a lease lasts unless renewed, and how often
     * the holder renews it. A standby takes over within `leaseTtlMs` of the holder's death.
     */
    leaseTtlMs: number;
    leaseRenewMs: number;
  };
  /**
   * How often every instance asks the store for the mapping version in force (`MAPPING_POLL_MS`): a reload on any
   * instance reaches the others within this time.
   */
  mappingPollMs: number;
  /**
   * Retention of vendor payloads. `days`: a synced or skipped event's payload (and mapped records and stored error)
   * is pruned this many days after it was finished; null (`RETENTION_DAYS=off`): kept forever. The pruner runs on the
   * syncing instance shortly after it takes the lead, then every `pruneIntervalMs`, in statements of at most
   * `pruneBatchSize` events.
   */
  retention: {
    days: number | null;
    pruneIntervalMs: number;
    pruneBatchSize: number;
  };
  /**
   * `INSTANCE_ID`: this instance's name in the sync lease, health and metrics. Default: the host name on SQLite (one
   * file on one host: a restarted connector takes its lease back at once); on PostgreSQL the host name, process id and
   * a random part, so that two processes never share a name (containers on one host network may share host name and
   * pid 1; two holders of one name would take the lease from each other).
   */
  instanceId: string;
  /** The recordings stage: fetching calls' audio from the vendors and keeping it in HubSpot (see `RecordingsWorker`). */
  recordings: RecordingsEnv;
}

export interface ConsoleEnv {
  /** `CONSOLE_VIEWER_TOKEN`: signs in to the console read-only (null: no viewer sign-in). */
  viewerToken: string | null;
  /** `CONSOLE_SESSION_HOURS`: a session's whole life, however active. */
  sessionHours: number;
  /** `CONSOLE_SESSION_IDLE_MINUTES`: a session with no request for this long has ended. */
  sessionIdleMinutes: number;
  /** `CONSOLE_UI_DIR`: the console's built browser app (`index.html`, `assets/`); default `dist/console-ui`. */
  uiDir: string | null;
}

export interface RecordingsEnv {
  /** `RECORDINGS_ENABLED=false`: this instance fetches and uploads no recording (they wait; calls sync as usual). */
  enabled: boolean;
  /**
   * `RECORDINGS_ALLOW_NETWORKS`: address ranges a recording may be fetched from although private, loopback or
   * link-local (refused by default: a webhook must not make the connector fetch from inside its network).
   */
  allowNetworks: string[];
  /** The largest recording fetched; a larger one fails with the reason. */
  maxBytes: number;
  connectTimeoutMs: number;
  /** The whole download, body included. */
  timeoutMs: number;
  /** Recordings fetched and uploaded at once. */
  concurrency: number;
  maxAttempts: number;
  /** First wait before a failed recording is tried again; doubles per attempt (up to 6 hours). */
  retryBaseMs: number;
  /** Where downloads are written while they are uploaded (deleted after). */
  spoolDir: string;
  /** Vendor APIs the audio is fetched from (Vapi), by vendor id: the base URL and the API key (null: not set). */
  vendorApis: Record<string, { baseUrl: string; apiKey: string | null }>;
}

export const DEFAULT_DATABASE_FILE = './data/connector.sqlite';
/** Secrets shorter than this are refused: a guessable webhook secret is an open door. */
export const MIN_SECRET_LENGTH = 16;

/** A start-up configuration error. The message names each bad key and never its value. */
export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'EnvValidationError';
  }
}

type RawEnv = Record<string, unknown>;

/**
 * How the connector's log lines are written, chosen before the rest of the environment is read (the logger reports
 * that reading's problems): `LOG_FORMAT=pretty` (readable lines, for a person at a terminal) or `json` (one JSON
 * object per line, for log collectors). Unset: pretty on a terminal outside production, JSON otherwise.
 */
export function logFormat(raw: Record<string, string | undefined>, isTerminal: boolean): 'pretty' | 'json' {
  const chosen = raw['LOG_FORMAT']?.trim().toLowerCase();
  if (chosen === 'pretty' || chosen === 'json') return chosen;
  return isTerminal && raw['NODE_ENV'] !== 'production' ? 'pretty' : 'json';
}

/** For command-line tools, which run without the NestJS config module. */
export function envFromProcess(): AppEnv {
  return envAtStart(process.env);
}

/**
 * The environment at a start: the vendors `mapping.yaml` defines are registered first (see `registerDefinedVendors`),
 * so that their secret settings are read with the rest.
 */
export function envAtStart(raw: RawEnv): AppEnv {
  registerDefinedVendors(configDirFrom(raw));
  return validateEnv(raw);
}

export function validateEnv(raw: RawEnv): AppEnv {
  const problems: string[] = [];
  const text = (key: string): string | null => {
    const value = ownValue(raw, key);
    if (value === undefined || value === null) return null;
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- settings arrive as text (or numbers in tests)
    const trimmed = String(value).trim();
    return trimmed === '' ? null : trimmed;
  };
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const value = text(key);
    if (value === null) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      problems.push(`${key} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const value = text(key);
    if (value === null) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      problems.push(`${key} must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  };
  const secret = (key: string): string | null => {
    const value = text(key);
    if (value !== null && value.replace(/^bearer\s+/i, '').length < MIN_SECRET_LENGTH) {
      problems.push(`${key} must be at least ${MIN_SECRET_LENGTH} characters long`);
    }
    return value;
  };
  const bool = (key: string): boolean => {
    const value = text(key)?.toLowerCase();
    if (value === undefined) return false;
    if (['1', 'true', 'yes'].includes(value)) return true;
    if (['0', 'false', 'no'].includes(value)) return false;
    problems.push(`${key} must be true or false`);
    return false;
  };

  const vendorApiUrl = (key: string, fallback: string): string => {
    const value = text(key) ?? fallback;
    if (!isHttpUrl(value)) problems.push(`${key} must be an http(s) URL`);
    return value.replace(/\/+$/, '');
  };

  const nodeEnv = oneOf('NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const hubspotAccessToken = text('HUBSPOT_ACCESS_TOKEN');
  if (nodeEnv === 'production' && hubspotAccessToken === null) {
    problems.push(
      'HUBSPOT_ACCESS_TOKEN is required when NODE_ENV=production (sandbox mode is for trying the connector)',
    );
  }
  const hubspotBaseUrl = text('HUBSPOT_BASE_URL') ?? 'https://api.hubapi.com';
  if (!isHttpUrl(hubspotBaseUrl)) problems.push('HUBSPOT_BASE_URL must be an http(s) URL');

  const database = parseDatabaseUrl(text('DATABASE_URL'), integer('DATABASE_POOL_SIZE', 10, 1, 100), problems);
  const leaseTtlMs = integer('SYNC_LEASE_TTL_MS', 15_000, 1_000, 600_000);
  if (database.kind === 'postgres')
    database.idleInTransactionMs = Math.min(60_000, Math.max(500, Math.floor(leaseTtlMs / 3)));
  const leaseRenewMs = integer('SYNC_LEASE_RENEW_MS', Math.round(leaseTtlMs / 3), 100, 600_000);
  if (leaseRenewMs * 2 > leaseTtlMs) problems.push('SYNC_LEASE_RENEW_MS must be at most half of SYNC_LEASE_TTL_MS');
  const env: AppEnv = {
    nodeEnv,
    port: integer('PORT', 3000, 0, 65535),
    host: text('HOST') ?? '0.0.0.0',
    hubspotAccessToken,
    hubspotBaseUrl: hubspotBaseUrl.replace(/\/+$/, ''),
    database,
    webhookSecrets: Object.fromEntries(vendorDefinitions().map((vendor) => [vendor.id, secret(vendor.secret.setting)])),
    adminToken: secret('ADMIN_TOKEN'),
    console: {
      viewerToken: secret('CONSOLE_VIEWER_TOKEN'),
      sessionHours: integer('CONSOLE_SESSION_HOURS', 8, 1, 720),
      sessionIdleMinutes: integer('CONSOLE_SESSION_IDLE_MINUTES', 60, 1, 43_200),
      uiDir: text('CONSOLE_UI_DIR') === null ? null : resolve(text('CONSOLE_UI_DIR')!),
    },
    generatedSecrets: [],
    configDir: configDirFrom(raw),
    logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    webhookMaxBodyBytes: integer('WEBHOOK_MAX_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    webhookUnverifiedBytes: integer('WEBHOOK_UNVERIFIED_BYTES', 256 * 1024 * 1024, 1024 * 1024, 4 * 1024 * 1024 * 1024),
    workerBatchSize: integer('WORKER_BATCH_SIZE', 100, 1, 1000),
    workerPollIntervalMs: integer('WORKER_POLL_INTERVAL_MS', 500, 10, 60_000),
    trustProxy: trustProxy(text('TRUST_PROXY'), problems),
    http: {
      headersTimeoutMs: integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 1_000, 600_000),
      requestTimeoutMs: integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
      idleTimeoutMs: integer('HTTP_IDLE_TIMEOUT_MS', 10_000, 1_000, 600_000),
      maxConnections: integer('HTTP_MAX_CONNECTIONS', 2_000, 10, 1_000_000),
      maxConnectionsPerAddress: integer('HTTP_MAX_CONNECTIONS_PER_ADDRESS', 512, 0, 1_000_000),
      authFailuresPerMinute: integer('AUTH_FAILURES_PER_MINUTE', 20, 0, 100_000),
    },
    hubspot: {
      apiVersion: apiVersion(text('HUBSPOT_API_VERSION'), problems),
      burstPer10s: integer('HUBSPOT_RATE_LIMIT_PER_10S', 100, 1, 10_000),
      searchPerSecond: integer('HUBSPOT_SEARCH_LIMIT_PER_S', 5, 1, 100),
      requestTimeoutMs: integer('HUBSPOT_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
      maxAttempts: integer('HUBSPOT_MAX_ATTEMPTS', 5, 1, 20),
      retryBaseMs: integer('HUBSPOT_RETRY_BASE_MS', 500, 1, 60_000),
      retryMaxMs: integer('HUBSPOT_RETRY_MAX_MS', 30_000, 1, 600_000),
      probeIntervalMs: integer('HUBSPOT_PROBE_INTERVAL_MS', 60_000, 10, 3_600_000),
      searchLagMs: integer('HUBSPOT_SEARCH_LAG_MS', 60_000, 0, 3_600_000),
      emulatorPort: integer('HUBSPOT_EMULATOR_PORT', 4010, 0, 65535),
    },
    sync: {
      enabled: text('SYNC_ENABLED') === null ? true : bool('SYNC_ENABLED'),
      lingerMs: integer('SYNC_LINGER_MS', 250, 0, 10_000),
      retryBaseMs: integer('SYNC_RETRY_BASE_MS', 5_000, 1, 3_600_000),
      maxAttempts: integer('SYNC_MAX_ATTEMPTS', 10, 1, 1000),
      leaseTtlMs,
      leaseRenewMs,
    },
    mappingPollMs: integer('MAPPING_POLL_MS', 1_000, 100, 60_000),
    retention: {
      days: retentionDays(text('RETENTION_DAYS'), problems),
      pruneIntervalMs: integer('RETENTION_PRUNE_INTERVAL_MS', 3_600_000, 1_000, 86_400_000),
      pruneBatchSize: integer('RETENTION_PRUNE_BATCH_SIZE', 500, 1, 10_000),
    },
    instanceId:
      text('INSTANCE_ID') ??
      (database.kind === 'postgres' ? `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}` : hostname()),
    recordings: {
      enabled: text('RECORDINGS_ENABLED') === null ? true : bool('RECORDINGS_ENABLED'),
      allowNetworks: networks(text('RECORDINGS_ALLOW_NETWORKS'), problems),
      maxBytes: integer('RECORDING_MAX_BYTES', 256 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
      connectTimeoutMs: integer('RECORDING_CONNECT_TIMEOUT_MS', 10_000, 100, 120_000),
      timeoutMs: integer('RECORDING_TIMEOUT_MS', 300_000, 500, 3_600_000),
      concurrency: integer('RECORDINGS_CONCURRENCY', 2, 1, 16),
      maxAttempts: integer('RECORDING_MAX_ATTEMPTS', 8, 1, 100),
      retryBaseMs: integer('RECORDING_RETRY_BASE_MS', 60_000, 1, 3_600_000),
      spoolDir: resolve(text('RECORDINGS_SPOOL_DIR') ?? join(tmpdir(), 'ai-call-connector-recordings')),
      vendorApis: {
        vapi: { baseUrl: vendorApiUrl('VAPI_API_BASE_URL', 'https://api.vapi.ai'), apiKey: secret('VAPI_API_KEY') },
      },
    },
  };
  if (problems.length > 0) throw new EnvValidationError(problems);
  return env;
}

/**
 * Sandbox mode's first five minutes (no `HUBSPOT_ACCESS_TOKEN`, `NODE_ENV` not `production`): a webhook secret for each
 * vendor that has none, and an `ADMIN_TOKEN` when none is set, made up for this run only (random, never logged, gone
 * at the next start), so that the console can sign in with its one-time start-up link and send the sample payloads.
 * With a HubSpot token, or in production, the environment stays as it is: nothing is opened that was not set.
 *
 * The made-up secrets are 64 hex characters: a shared secret, an HMAC key, and (hex being base64 too) a Standard
 * Webhooks key alike, and safe in a URL path.
 */
export function withSandboxSecrets(env: AppEnv, random: () => string = () => randomBytes(32).toString('hex')): AppEnv {
  if (env.hubspotAccessToken !== null || env.nodeEnv === 'production') return env;
  const generated: string[] = [];
  const webhookSecrets = { ...env.webhookSecrets };
  for (const vendor of vendorDefinitions()) {
    if ((ownValue(webhookSecrets, vendor.id) ?? null) !== null) continue;
    webhookSecrets[vendor.id] = random();
    generated.push(vendor.secret.setting);
  }
  const adminToken = env.adminToken ?? random();
  if (env.adminToken === null) generated.push('ADMIN_TOKEN');
  return { ...env, webhookSecrets, adminToken, generatedSecrets: generated };
}

/** The longest retention that can be set (a century): more is a typo. */
const MAX_RETENTION_DAYS = 36_500;

/**
 * `RETENTION_DAYS`: whole days (default 30), or `off` to keep payloads forever. 0 is refused rather than read either
 * way: it would mean "prune at once" to some and "never prune" to others, and pruning cannot be undone.
 */
function retentionDays(value: string | null, problems: string[]): number | null {
  if (value === null) return 30;
  if (value.toLowerCase() === 'off') return null;
  const days = /^\d+$/.test(value) ? Number(value) : NaN;
  if (days === 0) {
    problems.push(
      'RETENTION_DAYS must not be 0: set off to keep payloads forever, or a number of days (1 prunes the payloads of events synced or skipped over a day ago)',
    );
    return 30;
  }
  if (!Number.isInteger(days) || days > MAX_RETENTION_DAYS) {
    problems.push(
      `RETENTION_DAYS must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, or off (keep payloads forever)`,
    );
    return 30;
  }
  return days;
}

function trustProxy(value: string | null, problems: string[]): false | number | string[] {
  if (value === null || ['false', '0', 'no'].includes(value.toLowerCase())) return false;
  // `true` used to trust every hop (the client-written left-most entry): it now means the one proxy in front.
  if (['true', 'yes'].includes(value.toLowerCase())) return 1;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = commaList(value);
  const valid = entries.every(
    (entry) => isAddressOrRange(entry) || ['loopback', 'linklocal', 'uniquelocal'].includes(entry),
  );
  if (!valid || entries.length === 0) {
    problems.push(
      "TRUST_PROXY must be false, a number of proxy hops, or the proxies' addresses or ranges (comma-separated, e.g. 10.0.0.0/8)",
    );
    return false;
  }
  return entries;
}

function apiVersion(value: string | null, problems: string[]): string {
  if (value === null) return DEFAULT_API_VERSION;
  if (isApiVersion(value)) return value;
  problems.push(
    `HUBSPOT_API_VERSION must be a dated HubSpot API version such as ${DEFAULT_API_VERSION} (YYYY-03 or YYYY-09), or v3`,
  );
  return DEFAULT_API_VERSION;
}

/** `RECORDINGS_ALLOW_NETWORKS`: comma-separated addresses or CIDR ranges (`127.0.0.0/8, ::1`). */
function networks(value: string | null, problems: string[]): string[] {
  if (value === null) return [];
  const entries = commaList(value);
  if (!entries.every(isAddressOrRange)) {
    problems.push('RECORDINGS_ALLOW_NETWORKS must list addresses or CIDR ranges, e.g. 10.0.0.0/8, 127.0.0.1');
    return [];
  }
  return entries.map((entry) => (entry.includes('/') ? entry : `${entry}/${isIP(entry) === 4 ? 32 : 128}`));
}

/** Comma-separated entries, trimmed, empty ones left out. */
function commaList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** An IP address, or a CIDR range of one (`10.0.0.0/8`, `::1/128`). */
function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * `DATABASE_URL`: unset for the embedded default; `sqlite:<path>`, `file:<path>` or a bare path for SQLite;
 * `postgres://` or `postgresql://` for a PostgreSQL server. Anything else is refused, never read as a file path.
 */
function parseDatabaseUrl(value: string | null, poolSize: number, problems: string[]): DatabaseSettings {
  if (value === null) return { kind: 'sqlite', file: resolve(DEFAULT_DATABASE_FILE) };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    // Parsed here only to check it and to name the server in messages; the driver reads the URL itself (user,
    // password, port, and TLS from `sslmode`/`sslrootcert`). Nothing of it but host, port and name is ever shown.
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      problems.push('DATABASE_URL is not a valid postgres:// URL (postgres://user:password@host:5432/database)');
      return { kind: 'sqlite', file: resolve(DEFAULT_DATABASE_FILE) };
    }
    let name: string;
    try {
      name = decodeURIComponent(url.pathname.replace(/^\//, ''));
    } catch {
      name = '';
    }
    if (!url.hostname || !name) {
      problems.push('DATABASE_URL must name the server and the database: postgres://user:password@host:5432/database');
      return { kind: 'sqlite', file: resolve(DEFAULT_DATABASE_FILE) };
    }
    return { kind: 'postgres', url: value, host: `${url.hostname}:${url.port || '5432'}`, name, poolSize };
  }
  const path = value.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (path === '' || /^[a-z]+:\/\//i.test(value)) {
    problems.push('DATABASE_URL must be postgres://…, sqlite:<path>, file:<path> or a file path');
    return { kind: 'sqlite', file: resolve(DEFAULT_DATABASE_FILE) };
  }
  return { kind: 'sqlite', file: path === ':memory:' ? path : resolve(path) };
}
