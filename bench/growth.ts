import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CompiledQuery, sql } from 'kysely';
import type { StoreDb } from '../src/store/database.js';
import { InboxRepository, type InboxEventRow } from '../src/store/inbox.repository.js';
import { openMigratedStore } from '../src/store/migrations/migrations.js';
import {
  BENCH_APP_SCRIPT,
  chinaMobile,
  hammer,
  MAIN_SCRIPT,
  percentile,
  post,
  REPO_DIR,
  startProcess,
  VOICEFOX_SECRET,
  voicefoxWebhook,
  waitFor,
  YUNFU_SECRET,
  type LoadFigures,
} from './bench-support.js';
import { sqliteStore, type BenchStore } from './bench-stores.js';

/**
 * `growth`: what a large store costs. The same measurements on an empty store and on one holding a million events
 * (`BENCH_GROWTH_EVENTS`): ingest throughput (as the ingest part measures it) and the worker's claim (the real
 * `InboxRepository.claim`, as the worker calls it, over the same pending backlog in both stores). The only
 * difference between the two stores is the history: events synced, skipped or dead long ago.
 */
const HISTORY = Number(process.env['BENCH_GROWTH_EVENTS'] ?? 1_000_000);
/** The backlog the claims drain (in batches of the worker's default size), the same in both stores. */
const PENDING = 20_000;
const BATCH = 100;
/** Events waiting for a retry that is not yet due: the claim passes over them. */
const RETRYING = 100;
const LEASE_MS = 5 * 60_000;
const INGEST_ROUNDS = 3;
/** Rows per seeding statement: small enough to report progress, large enough to be fast. */
const SEED_CHUNK = 50_000;

export interface GrowthResult {
  historyEvents: number;
  pendingBacklog: number;
  seedSeconds: number;
  storeMiB: number;
  ingest: Record<'empty' | 'full', LoadFigures & { rounds: number[] }> & { slowdown: number };
  claim: Record<'empty' | 'full', { claims: number; medianMs: number; p95Ms: number }> & {
    medianSlowdown: number;
    p95Slowdown: number;
  };
  targets: { slowdown: number };
}

/** One stored event of each vendor, as a real connector stored and synced it: the shape the history copies. */
interface EventTemplate {
  vendor: string;
  eventName: string;
  /** The vendor's call id in the template; each copy gets its own. */
  callId: string;
  /** What the call id carries before its UUID (`vf-` for VoiceFox). */
  idPrefix: string;
  /** What the event key adds after the call id. */
  keySuffix: string;
  /** The customer's number in the template (national digits); each copy gets another. */
  number: string;
  payload: string;
  records: string;
}

/** Sends one VoiceFox and one Yunfu call through a real connector into the emulator, and keeps their stored rows. */
export async function harvestTemplates(log: (message: string) => void): Promise<EventTemplate[]> {
  log('growth: storing and syncing one VoiceFox and one Yunfu call through the connector, as templates');
  const fixture = <T>(path: string) => JSON.parse(readFileSync(join(REPO_DIR, 'test', 'fixtures', path), 'utf8')) as T;
  const voicefox = fixture<{ event_data: { session_id: string; caller: string } }>('voicefox/callin-collect.json');
  const yunfu = fixture<{ data: Array<{ callid: string; number_data: { number: string } }> }>(
    'yunfu/seed-inbound-success.json',
  );
  const store = sqliteStore();
  const emulator = await HubSpotEmulator.start();
  const connector = await startProcess(MAIN_SCRIPT, {
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: emulator.url,
    DATABASE_URL: store.url,
  });
  const db = await openMigratedStore(store.settings);
  try {
    await post(`${connector.url}/webhooks/voicefox`, voicefox, { authorization: `Bearer ${VOICEFOX_SECRET}` });
    await post(`${connector.url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfu);
    const inbox = new InboxRepository(db);
    await waitFor(async () => (await inbox.list({ status: 'synced' })).length >= 2, 60_000, 100);
    const rows = await inbox.list({ status: 'synced' });
    const template = (row: InboxEventRow, callId: string, number: string): EventTemplate => {
      if (!row.event_key.startsWith(callId) || !row.records) throw new Error(`unexpected template row ${row.vendor}`);
      return {
        vendor: row.vendor,
        eventName: row.event_name,
        callId,
        idPrefix: callId.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, ''),
        keySuffix: row.event_key.slice(callId.length),
        number,
        payload: row.payload,
        records: row.records,
      };
    };
    const byVendor = (vendor: string) => rows.find((row) => row.vendor === vendor)!;
    return [
      template(byVendor('voicefox'), voicefox.event_data.session_id, voicefox.event_data.caller),
      template(byVendor('yunfu'), yunfu.data[0]!.callid, yunfu.data[0]!.number_data.number),
    ];
  } finally {
    await db.destroy();
    await connector.stop();
    await emulator.close();
    await store.drop();
  }
}

type SeedKind = 'history' | 'pending' | 'retrying';

/**
 * Inserts events `from`..`from + count - 1` in bulk SQL (`generate_series` on PostgreSQL, a recursive CTE on
 * SQLite), copies of the templates with their own call ids, keys, numbers and digests: three in five VoiceFox, two in
 * five Yunfu. History: 97.5 % synced (payload, mapped records, HubSpot ids), 2 % skipped, 0.5 % dead; received over
 * the last 60 days, oldest first.
 */
async function seed(
  db: StoreDb,
  dialect: BenchStore['dialect'],
  templates: EventTemplate[],
  kind: SeedKind,
  from: number,
  count: number,
  progress: (done: number) => void = () => undefined,
): Promise<void> {
  const now = Date.now();
  const startMs = kind === 'history' ? now - 60 * 86_400_000 : now - 60_000;
  const stepMs = (now - 60_000 - startMs) / Math.max(1, HISTORY);
  for (let first = from; first < from + count; first += SEED_CHUNK) {
    const last = Math.min(from + count - 1, first + SEED_CHUNK - 1);
    const params: unknown[] = [];
    const bind = (value: unknown, pgType = 'text') => {
      params.push(value);
      return dialect === 'postgres' ? `$${params.length}::${pgType}` : '?';
    };
    const templateRows = templates
      .map(
        (t, slot) =>
          `(${slot}, ${[t.vendor, t.eventName, t.callId, t.idPrefix, t.keySuffix, t.number, t.payload, t.records].map((value) => bind(value)).join(', ')})`,
      )
      .join(', ');
    const status =
      kind === 'history'
        ? `case when n % 1000 < 20 then 'skipped' when n % 1000 < 25 then 'dead' else 'synced' end`
        : `'${kind}'`;
    const pg = dialect === 'postgres';
    // The same derived values in each dialect's words: a UUID-like id from n, a mobile number, an ISO time.
    const series = pg
      ? `generate_series(${bind(first, 'int')}, ${bind(last, 'int')}) as n`
      : `seq(n) as (select ${bind(first)} union all select n + 1 from seq where n < ${bind(last)})`;
    const hash = pg
      ? `md5('growth-' || n)`
      : `printf('%08x%04x%04x%04x%012x', (n * 2654435761) % 4294967296, (n * 40503) % 65536, (n * 2246822519) % 65536, (n * 3266489917) % 65536, n)`;
    const number = pg ? `'138' || lpad((n % 2000000)::text, 8, '0')` : `'138' || printf('%08d', n % 2000000)`;
    const at = pg
      ? `to_char(to_timestamp((${bind(startMs, 'float8')} + n * ${bind(stepMs, 'float8')}) / 1000) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      : `strftime('%Y-%m-%dT%H:%M:%fZ', (${bind(startMs)} + n * ${bind(stepMs)}) / 1000.0, 'unixepoch')`;
    const digest = pg ? `md5(r.new_id) || md5(r.at || r.new_id)` : `lower(hex(randomblob(32)))`;
    const correlation = pg ? `md5(r.at || r.n)` : `lower(hex(randomblob(16)))`;
    const retryAt = bind(new Date(now + 3_600_000).toISOString());
    // t: the templates; s: per event, its template, hash, number, time and status; r: both, and the new call id.
    const text = `
      with ${pg ? '' : 'recursive'}
      t(slot, vendor, event_name, call_id, id_prefix, key_suffix, number, payload, records) as (values ${templateRows}),
      ${pg ? '' : `${series},`}
      s as (
        select n, case when n % 5 < 3 then 0 else 1 end as slot, ${hash} as h, ${number} as new_number, ${at} as at,
          ${status} as status
        from ${pg ? series : 'seq'}
      ),
      r as (
        select s.n, s.new_number, s.at, s.status, t.*,
          t.id_prefix || substr(s.h, 1, 8) || '-' || substr(s.h, 9, 4) || '-' || substr(s.h, 13, 4) || '-'
            || substr(s.h, 17, 4) || '-' || substr(s.h, 21, 12) as new_id
        from s join t on t.slot = s.slot
      )
      insert into inbox_events (vendor, event_key, event_name, payload, content_digest, correlation_id, received_at,
        updated_at, revision, status, attempts, lease_until, records, last_error, next_attempt_at, hubspot_contact_id,
        hubspot_call_id, lease_epoch)
      select r.vendor, r.new_id || r.key_suffix, r.event_name,
        replace(replace(r.payload, r.call_id, r.new_id), r.number, r.new_number),
        ${digest}, ${correlation}, r.at, r.at, 1, r.status,
        case r.status when 'dead' then 5 when 'retrying' then 1 else 0 end,
        null,
        case when r.status in ('synced', 'dead', 'retrying')
          then replace(replace(r.records, r.call_id, r.new_id), r.number, r.new_number) end,
        case r.status when 'skipped' then 'the event maps to no call'
          when 'dead' then 'HubSpot refused the call (400 VALIDATION_ERROR): a property value is not valid'
          when 'retrying' then 'HubSpot answered 503 (service unavailable); tried again later' end,
        case when r.status = 'retrying' then ${retryAt} end,
        case when r.status = 'synced' then cast(100000000 + r.n % 2000000 as text) end,
        case when r.status = 'synced' then cast(50000000000 + r.n as text) end,
        case when r.status = 'pending' then null else 1 end
      from r`;
    await db.executeQuery(CompiledQuery.raw(text, params));
    progress(last - from + 1);
  }
}

/**
 * Runs the growth measurements on two fresh stores of one dialect: `empty`, and `full` with the history seeded.
 * Ingest first (both stores in turn, `INGEST_ROUNDS` times); then the events it stored are marked synced, the same
 * backlog is added to both, and the claims drain it, alternating between the stores.
 */
export async function growth(
  newStore: () => Promise<BenchStore>,
  templates: EventTemplate[],
  log: (message: string) => void,
): Promise<GrowthResult> {
  const stores = { empty: await newStore(), full: await newStore() };
  const dialect = stores.full.dialect;
  const dbs = {
    empty: await openMigratedStore(stores.empty.settings),
    full: await openMigratedStore(stores.full.settings),
  };
  try {
    const seeding = performance.now();
    let reported = 0;
    await seed(dbs.full, dialect, templates, 'history', 1, HISTORY, (done) => {
      if (done - reported < 100_000 && done < HISTORY) return;
      reported = done;
      const seconds = (performance.now() - seeding) / 1000;
      log(
        `  seeding ${dialect}: ${done.toLocaleString('en')} / ${HISTORY.toLocaleString('en')} events (${seconds.toFixed(0)} s)`,
      );
    });
    const seedSeconds = Number(((performance.now() - seeding) / 1000).toFixed(1));
    await settle(dbs.empty, dialect);
    await settle(dbs.full, dialect);
    const storeMiB = await sizeMiB(dbs.full, stores.full);
    log(`  seeded in ${seedSeconds} s; the full store takes ${storeMiB} MiB`);

    const rates: Record<'empty' | 'full', LoadFigures[]> = { empty: [], full: [] };
    const emulator = await HubSpotEmulator.start();
    try {
      for (let round = 0; round < INGEST_ROUNDS; round++) {
        for (const which of round % 2 === 0 ? (['empty', 'full'] as const) : (['full', 'empty'] as const)) {
          const figures = await ingestOn(stores[which], emulator.url);
          rates[which].push(figures);
          log(
            `  ingest on the ${which} store, round ${round + 1}: ${figures.requestsPerSecond} req/s, p99 ${figures.p99Ms} ms`,
          );
        }
      }
    } finally {
      await emulator.close();
    }

    // The events ingest stored count as synced; both stores then get the same backlog: retries not yet due, and
    // pending events after them (the newest).
    for (const which of ['empty', 'full'] as const) {
      await sql`update inbox_events set status = 'synced', lease_epoch = 1 where status = 'pending'`.execute(
        dbs[which],
      );
      await seed(dbs[which], dialect, templates, 'retrying', HISTORY + 1, RETRYING);
      await seed(dbs[which], dialect, templates, 'pending', HISTORY + RETRYING + 1, PENDING);
      await settle(dbs[which], dialect);
    }
    const claimTimes = { empty: [] as number[], full: [] as number[] };
    const repositories = { empty: new InboxRepository(dbs.empty), full: new InboxRepository(dbs.full) };
    const records = JSON.parse(templates[0]!.records) as unknown[];
    for (let index = 0; index < PENDING / BATCH; index++) {
      for (const which of index % 2 === 0 ? (['empty', 'full'] as const) : (['full', 'empty'] as const)) {
        const started = performance.now();
        const rows = await repositories[which].claim(BATCH, LEASE_MS, new Date(), 1);
        claimTimes[which].push(performance.now() - started);
        if (rows.length !== BATCH || rows.some((row) => row.status !== 'processing'))
          throw new Error(`claim ${index} on the ${which} store took ${rows.length} events, expected ${BATCH}`);
        // Settled as the worker settles a synced batch (not timed).
        await repositories[which].completeAll(
          rows.map((row) => ({
            id: row.id,
            revision: row.revision,
            outcome: { status: 'synced', records, contactId: '1001', callId: '2001' },
          })),
          new Date(),
        );
      }
    }
    const claimFigures = (times: number[]) => ({
      claims: times.length,
      medianMs: Number(percentile(times, 50).toFixed(2)),
      p95Ms: Number(percentile(times, 95).toFixed(2)),
    });
    const claim = { empty: claimFigures(claimTimes.empty), full: claimFigures(claimTimes.full) };
    log(
      `  claim of ${BATCH} from a ${PENDING.toLocaleString('en')}-event backlog: median / p95 ${claim.empty.medianMs} / ${claim.empty.p95Ms} ms (empty), ${claim.full.medianMs} / ${claim.full.p95Ms} ms (full)`,
    );
    const ingestFigures = (runs: LoadFigures[]) => ({
      requestsPerSecond: Math.round(runs.reduce((sum, run) => sum + run.requestsPerSecond, 0) / runs.length),
      p50Ms: Math.max(...runs.map((run) => run.p50Ms)),
      p99Ms: Math.max(...runs.map((run) => run.p99Ms)),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      total: runs.reduce((sum, run) => sum + run.total, 0),
      rounds: runs.map((run) => run.requestsPerSecond),
    });
    const ingest = { empty: ingestFigures(rates.empty), full: ingestFigures(rates.full) };
    return {
      historyEvents: HISTORY,
      pendingBacklog: PENDING,
      seedSeconds,
      storeMiB,
      ingest: { ...ingest, slowdown: ratio(ingest.empty.requestsPerSecond, ingest.full.requestsPerSecond) },
      claim: {
        ...claim,
        medianSlowdown: ratio(claim.full.medianMs, claim.empty.medianMs),
        p95Slowdown: ratio(claim.full.p95Ms, claim.empty.p95Ms),
      },
      targets: { slowdown: 1.2 },
    };
  } finally {
    await dbs.empty.destroy();
    await dbs.full.destroy();
    await stores.empty.drop();
    await stores.full.drop();
  }
}

function ratio(a: number, b: number): number {
  return Number((a / b).toFixed(2));
}

/**
 * After bulk writes: PostgreSQL's statistics and visibility map as autovacuum would leave them (this server runs
 * with autovacuum off); SQLite's write-ahead log folded back into the file, as its automatic checkpoints do.
 */
async function settle(db: StoreDb, dialect: BenchStore['dialect']): Promise<void> {
  if (dialect === 'postgres') await sql`vacuum analyze inbox_events`.execute(db);
  else await sql`pragma wal_checkpoint(truncate)`.execute(db);
}

async function sizeMiB(db: StoreDb, store: BenchStore): Promise<number> {
  if (store.settings.kind === 'sqlite') return Math.round(statSync(store.settings.file).size / 1024 ** 2);
  const { rows } = await sql<{ size: number }>`select pg_database_size(current_database()) as size`.execute(db);
  return Math.round(Number(rows[0]!.size) / 1024 ** 2);
}

/** Ingest throughput on one store: the bench app (sync off, request logs off), 3 s of warm-up, then 10 s. */
async function ingestOn(store: BenchStore, hubspotUrl: string): Promise<LoadFigures> {
  const app = await startProcess(BENCH_APP_SCRIPT, {
    SYNC_ENABLED: 'false',
    HUBSPOT_ACCESS_TOKEN: 'pat-bench',
    HUBSPOT_BASE_URL: hubspotUrl,
    LOG_LEVEL: 'warn',
    DATABASE_URL: store.url,
  });
  let counter = 0;
  // Vendor call ids are UUIDs: new keys land all over the unique index, as they would in production.
  const body = () => voicefoxWebhook(`vf-${randomUUID()}`, chinaMobile(counter++ % 100_000));
  const headers = { authorization: `Bearer ${VOICEFOX_SECRET}` };
  try {
    await hammer(app.url, '/webhooks/voicefox', 3, body, headers);
    return await hammer(app.url, '/webhooks/voicefox', 10, body, headers);
  } finally {
    await app.stop();
  }
}
