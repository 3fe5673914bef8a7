import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../src/common/clock.js';
import { validateEnv, type DatabaseSettings } from '../src/config/env.schema.js';
import { AppLogger, createPinoLogger } from '../src/logging/app-logger.js';
import { storeDialect, type StoreDb } from '../src/store/database.js';
import { InboxRepository } from '../src/store/inbox.repository.js';
import { LeaseRepository } from '../src/store/lease.repository.js';
import { openMigratedStore } from '../src/store/migrations/migrations.js';
import { InboxPruner } from '../src/sync/inbox-pruner.service.js';
import { SyncLeader } from '../src/sync/sync-leader.service.js';

/**
 * Retention's cost to ingest (`npm run bench -- retention`): a store holding `BENCH_RETENTION_EVENTS` (100,000) synced
 * events finished 40 days ago, on SQLite and on PostgreSQL (`BENCH_POSTGRES_URL`, default the tests' server). Ingest
 * (2,000 one-event deliveries through the inbox's group commit, 20 at a time, as concurrent webhooks arrive) is timed
 * alone, then while the pruner's first pass prunes them all. The store alone, without HTTP: the harshest case for
 * ingest, whose every moment is the store's.
 */
const EVENTS = Number(process.env['BENCH_RETENTION_EVENTS'] ?? 100_000);
const POSTGRES_URL = process.env['BENCH_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const DAY_MS = 86_400_000;
/** A VoiceFox-sized payload (the seed's is about 1.5 KB). */
const PAYLOAD = JSON.stringify({ event_name: 'callin.collect', event_data: { note: 'x'.repeat(1_400) } });

export interface IngestFigures {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RetentionFigures {
  events: number;
  ingestAlone: IngestFigures;
  ingestWhilePruning: IngestFigures;
  /** Ingest per second while pruning / alone. */
  ratio: number;
  prunedPerSecond: number;
  passSeconds: number;
  batches: number;
}

async function withStore<T>(dialect: 'sqlite' | 'postgres', run: (db: StoreDb) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-retention-'));
  const name = `bench_retention_${process.pid}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  let settings: DatabaseSettings = { kind: 'sqlite', file: join(dir, 'connector.sqlite') };
  if (dialect === 'postgres') {
    await admin(`drop database if exists ${name} with (force)`);
    await admin(`create database ${name}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    settings = { kind: 'postgres', url: url.toString(), host: url.host, name, poolSize: 10 };
  }
  const db = await openMigratedStore(settings);
  try {
    return await run(db);
  } finally {
    await db.destroy();
    if (dialect === 'postgres') await admin(`drop database if exists ${name} with (force)`);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `EVENTS` synced events finished 40 days ago, written in one statement. */
async function seed(db: StoreDb): Promise<void> {
  const at = new Date(Date.now() - 40 * DAY_MS).toISOString();
  const columns = sql.raw(
    'vendor, event_key, event_name, payload, content_digest, correlation_id, received_at, updated_at, revision, status, attempts, records',
  );
  if (storeDialect(db) === 'postgres')
    await sql`insert into inbox_events (${columns}) select 'voicefox', 'seed-' || n, 'callin.collect', ${PAYLOAD},
      md5(n::text) || md5(n::text), 'bench', ${at}, ${at}, 1, 'synced', 0, '[]' from generate_series(1, ${EVENTS}) n`.execute(
      db,
    );
  else
    await sql`with recursive g(n) as (select 1 union all select n + 1 from g where n < ${EVENTS})
      insert into inbox_events (${columns}) select 'voicefox', 'seed-' || n, 'callin.collect', ${PAYLOAD},
      printf('%064d', n), 'bench', ${at}, ${at}, 1, 'synced', 0, '[]' from g`.execute(db);
}

async function ingest(inbox: InboxRepository, tag: string): Promise<IngestFigures> {
  const latencies: number[] = [];
  const payload = JSON.parse(PAYLOAD) as unknown;
  const started = performance.now();
  for (let round = 0; round < 100; round++)
    await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const sent = performance.now();
        await inbox.storeDelivery(
          'voicefox',
          [{ eventKey: `${tag}-${round}-${index}`, eventName: 'callin.collect', payload }],
          'bench',
          new Date(),
        );
        latencies.push(performance.now() - sent);
      }),
    );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(latencies.length / seconds),
    p50Ms: Math.round(latencies[Math.floor(latencies.length * 0.5)]!),
    p99Ms: Math.round(latencies[Math.floor(latencies.length * 0.99)]!),
  };
}

export async function retentionBench(
  log: (message: string) => void,
): Promise<Record<'sqlite' | 'postgres', RetentionFigures>> {
  const results = {} as Record<'sqlite' | 'postgres', RetentionFigures>;
  for (const dialect of ['sqlite', 'postgres'] as const) {
    log(`retention (${dialect}): ${EVENTS.toLocaleString('en')} synced events due; ingest alone, then during the pass`);
    results[dialect] = await withStore(dialect, async (db) => {
      await seed(db);
      const inbox = new InboxRepository(db);
      const env = validateEnv({ NODE_ENV: 'test', HUBSPOT_ACCESS_TOKEN: 'pat-bench' });
      const logger = new AppLogger(createPinoLogger('silent', new Writable({ write: (_c, _e, done) => done() })));
      const leader = new SyncLeader(new LeaseRepository(db), env, logger, systemClock);
      const pruner = new InboxPruner(inbox, leader, logger, env, systemClock);
      await ingest(inbox, 'warm-up');
      const ingestAlone = await ingest(inbox, 'alone');
      const started = performance.now();
      let passDone = false;
      const pass = pruner.pruneOnce().finally(() => (passDone = true));
      const ingestWhilePruning = await ingest(inbox, 'during');
      if (passDone) log('  (the pass ended before ingest did: raise BENCH_RETENTION_EVENTS)');
      const { pruned, batches } = await pass;
      const passSeconds = (performance.now() - started) / 1000;
      if (pruned !== EVENTS) throw new Error(`the pass pruned ${pruned} of ${EVENTS}`);
      return {
        events: EVENTS,
        ingestAlone,
        ingestWhilePruning,
        ratio: Math.round((ingestWhilePruning.perSecond / ingestAlone.perSecond) * 100) / 100,
        prunedPerSecond: Math.round(pruned / passSeconds),
        passSeconds: Math.round(passSeconds * 10) / 10,
        batches,
      };
    });
    log(`  ${JSON.stringify(results[dialect])}`);
  }
  return results;
}
