import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, sql, type KyselyPlugin, type RootOperationNode } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { storeDialect, type StoreDb, type StoreDialect } from '../../src/store/database.js';
import { InboxRepository, STORE_DB, type NewInboxEvent } from '../../src/store/inbox.repository.js';
import { openMigratedStore } from '../../src/store/migrations/migrations.js';
import { InboxPruner } from '../../src/sync/inbox-pruner.service.js';
import { chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { createTestDatabase } from '../support/postgres.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { postJson, startTestApp, waitFor, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/**
 * Retention on a real store of each dialect: pruning in batches while webhooks keep arriving, the index it reads, and
 * in the running connector: pruning on its own, a redelivered webhook of a pruned event, the metrics.
 */
const DAY_MS = 86_400_000;
const NOW = new Date('2026-12-01T00:00:00Z');
const LONG_AGO = new Date(NOW.getTime() - 40 * DAY_MS);
const CUTOFF = new Date(NOW.getTime() - 30 * DAY_MS);

const events = (prefix: string, count: number, version = 1): NewInboxEvent[] =>
  Array.from({ length: count }, (_, index) => ({
    eventKey: `${prefix}-${index}`,
    eventName: 'call.success',
    payload: { index, version, phone: `+86175${String(index).padStart(8, '0')}` },
  }));

/** An empty store of the dialect (a fresh PostgreSQL database, or an SQLite file in a fresh folder), migrated. */
async function scratchStore(dialect: StoreDialect): Promise<{ db: StoreDb; remove(): Promise<void> }> {
  const database = dialect === 'postgres' ? await createTestDatabase() : null;
  const dir = database ? null : mkdtempSync(join(tmpdir(), 'retention-'));
  const db = await openMigratedStore(
    database ? database.settings(6) : { kind: 'sqlite', file: join(dir!, 'connector.sqlite') },
  );
  return {
    db,
    async remove() {
      await db.destroy();
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Stores `items` at `at` and settles them all as synced (the worker's path, without HubSpot). */
async function storeSynced(inbox: InboxRepository, items: NewInboxEvent[], at: Date): Promise<void> {
  await inbox.storeDelivery('yunfu', items, 'corr-seed', at);
  const claimed = await inbox.claim(items.length, 60_000, at);
  await inbox.completeAll(
    claimed.map((row) => ({
      id: row.id,
      revision: row.revision,
      outcome: { status: 'synced', records: [{ vendorCallId: row.event_key }], contactId: '1', callId: String(row.id) },
    })),
    at,
  );
}

describe.each(['sqlite', 'postgres'] as const)('retention on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof scratchStore>>;
  let db: StoreDb;
  beforeAll(async () => {
    store = await scratchStore(dialect);
    db = store.db;
    expect(storeDialect(db)).toBe(dialect);
  });
  afterAll(async () => {
    await store.remove();
  });

  it('takes webhooks while it prunes 3,000 events in batches: every new event stored once, every due one pruned, revised ones kept', async () => {
    const inbox = new InboxRepository(db);
    await storeSynced(inbox, events('old', 3_000), LONG_AGO);
    const batchSize = 100;

    // One pass over the 3,000, batch after batch, while deliveries arrive: 60 of 10 new events, 30 repeats of
    // already-pruned-or-not old events (duplicates), and 30 re-grades of old events (revisions).
    let batches = 0;
    let largest = 0;
    const prune = (async () => {
      for (let round = 0; round < 1_000; round++) {
        const pruned = await inbox.prunePayloads(CUTOFF, batchSize, NOW);
        batches++;
        largest = Math.max(largest, pruned);
        if (pruned === 0) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const old = events('old', 3_000);
    const deliveries = [
      ...Array.from({ length: 60 }, (_, index) => inbox.storeDelivery('yunfu', events(`new-${index}`, 10), 'c', NOW)),
      ...Array.from({ length: 30 }, (_, index) => inbox.storeDelivery('yunfu', [old[index * 97]!], 'c', NOW)),
      ...Array.from({ length: 30 }, (_, index) =>
        inbox.storeDelivery('yunfu', events('old', 3_000, 2).slice(index * 100 + 1, index * 100 + 2), 'c', NOW),
      ),
    ];
    const results = await Promise.all(deliveries);
    await prune;

    expect(results.slice(0, 60).every((result) => result.stored === 10)).toBe(true);
    expect(results.slice(60, 90).every((result) => result.duplicates === 1)).toBe(true);
    expect(results.slice(90).every((result) => result.revised === 1)).toBe(true);
    expect(largest).toBeLessThanOrEqual(batchSize);
    expect(batches).toBeGreaterThanOrEqual(3_000 / batchSize);

    const rows = await inbox.list();
    const revisedKeys = new Set(Array.from({ length: 30 }, (_, index) => `old-${index * 100 + 1}`));
    const fresh = rows.filter((row) => row.event_key.startsWith('new-'));
    expect(fresh).toHaveLength(600);
    expect(fresh.every((row) => row.status === 'pending' && row.pruned_at === null && row.payload !== '')).toBe(true);
    const revised = rows.filter((row) => revisedKeys.has(row.event_key));
    // A re-grade wins over the pruning whichever came first: pending again, with its new payload.
    expect(revised).toHaveLength(30);
    for (const row of revised) {
      expect([row.status, row.revision, row.pruned_at]).toEqual(['pending', 2, null]);
      expect(JSON.parse(row.payload)).toMatchObject({ version: 2 });
    }
    const pruned = rows.filter((row) => row.event_key.startsWith('old-') && !revisedKeys.has(row.event_key));
    expect(pruned).toHaveLength(2_970);
    expect(
      pruned.every(
        (row) =>
          row.status === 'synced' && row.payload === '' && row.records === null && row.pruned_at === NOW.toISOString(),
      ),
    ).toBe(true);
    expect(await inbox.prunedCount()).toBe(2_970);
    expect(await inbox.oldestPrunableFinishedAt()).toBeNull();
  });

  it('finds the events due, and the oldest of them, in the partial index, not by walking every event already pruned', async () => {
    /** The plan of the statement `run` sends. */
    const planOf = async (run: (inbox: InboxRepository) => Promise<unknown>): Promise<string> => {
      const statements: RootOperationNode[] = [];
      const capture: KyselyPlugin = {
        transformQuery: ({ node }) => {
          statements.push(node);
          return node;
        },
        transformResult: ({ result }) => Promise.resolve(result),
      };
      await run(new InboxRepository(db.withPlugin(capture)));
      // The last is the statement itself (a nested builder passes through the plugin too).
      const compiled = db.getExecutor().compileQuery(statements.at(-1)!, { queryId: 'plan' });
      if (dialect === 'sqlite') {
        const { rows } = await db.executeQuery<{ detail: string }>(
          CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
        );
        return rows.map((row) => row.detail).join('\n');
      }
      // With sequential scans priced out, PostgreSQL takes the index wherever its predicate allows it.
      return db.transaction().execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]),
        );
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    };
    expect(await planOf((inbox) => inbox.prunePayloads(CUTOFF, 500, NOW))).toMatch(/inbox_events_prunable/);
    expect(await planOf((inbox) => inbox.oldestPrunableFinishedAt())).toMatch(/inbox_events_prunable/);
  });
});

describe('retention in the running connector', () => {
  let t: TestApp | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('prunes on its own, says so in /metrics, and answers a redelivered webhook of a pruned event as a duplicate without asking HubSpot', async () => {
    t = await startTestApp({ env: { RETENTION_DAYS: '30', RETENTION_PRUNE_INTERVAL_MS: '1000' } });
    const delivery = yunfuBatch([yunfuCall({ callid: 'kept-once', number: chinaMobile(9_001) })]);
    const url = `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`;
    expect((await postJson(url, delivery)).status).toBe(200);
    await t.settled();
    const synced = (await t.inbox.findByKey('yunfu', 'kept-once'))!;
    expect(synced.status).toBe('synced');

    // Finished 31 days ago, as far as the store knows.
    const db = t.app.get<StoreDb>(STORE_DB);
    await db
      .updateTable('inbox_events')
      .set({ updated_at: new Date(Date.now() - 31 * DAY_MS).toISOString() })
      .where('id', '=', synced.id)
      .execute();
    const metric = async (name: string) =>
      sampleValue(parsePrometheusText(await (await fetch(`${t!.url}/metrics`)).text()), name, name);
    expect(await metric('connector_retention_oldest_payload_age_seconds')).toBeGreaterThan(30 * 86_400);

    await waitFor(async () => (await t!.inbox.findByKey('yunfu', 'kept-once'))?.pruned_at !== null, 10_000);
    const pruned = (await t.inbox.findByKey('yunfu', 'kept-once'))!;
    expect(pruned).toMatchObject({
      status: 'synced',
      payload: '',
      records: null,
      hubspot_call_id: synced.hubspot_call_id,
    });
    expect(await metric('connector_retention_pruned_total')).toBe(1);
    expect(await metric('connector_retention_oldest_payload_age_seconds')).toBe(0);
    expect(t.logs.some((line) => line['msg'] === 'retention: payloads of synced and skipped events pruned')).toBe(true);

    const requestsBefore = t.emulator.counters.total;
    const again = await postJson(url, delivery);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ stored: 0, duplicates: 1 });
    await t.settled();
    // The worker has had its look (an idle poll is 50 ms here): nothing was claimed, HubSpot was not asked.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.emulator.counters.total).toBe(requestsBefore);
    expect(
      t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === 'yunfu:kept-once'),
    ).toHaveLength(1);
    expect(t.app.get(InboxPruner).stats.pruned).toBe(1);
  });
});
