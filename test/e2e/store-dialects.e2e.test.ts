import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkStoreReachable,
  openStore,
  storeDialect,
  StoreUnavailableError,
  type StoreDb,
  type StoreDialect,
} from '../../src/store/database.js';
import { validateEnv } from '../../src/config/env.schema.js';
import { InboxRepository } from '../../src/store/inbox.repository.js';
import { LeaseRepository } from '../../src/store/lease.repository.js';
import { LedgerRepository } from '../../src/store/ledger.repository.js';
import { MappingVersionRepository } from '../../src/store/mapping-version.repository.js';
import { textDigest } from '../../src/common/content-digest.js';
import { migrateToLatest, openMigratedStore, storeMigrator } from '../../src/store/migrations/migrations.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

/**
 * The same store code on both dialects: the migrations, the inbox's delivery, claim and completion, and the ledgers,
 * on a real SQLite file and on a real PostgreSQL server.
 */
const AT = new Date('2026-11-30T10:00:00Z');
const items = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, index) => ({
    eventKey: `${prefix}-${index}`,
    eventName: 'call.success',
    payload: { index },
  }));

/** An empty store of the dialect (a fresh PostgreSQL database, or an SQLite file in a fresh folder), migrated. */
async function scratchStore(
  dialect: StoreDialect,
): Promise<{ db: StoreDb; openAnother(): StoreDb; remove(): Promise<void> }> {
  const database = dialect === 'postgres' ? await createTestDatabase() : null;
  const dir = database ? null : mkdtempSync(join(tmpdir(), 'store-dialects-'));
  const settings = database ? database.settings() : ({ kind: 'sqlite', file: join(dir!, 'connector.sqlite') } as const);
  const db = await openMigratedStore(settings);
  return {
    db,
    /** Another connection (pool) to the same store, as another instance has. */
    openAnother: () => openStore(settings),
    async remove() {
      await db.destroy();
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.each(['sqlite', 'postgres'] as const)('the store on %s', (dialect) => {
  let db: StoreDb;
  let store: Awaited<ReturnType<typeof scratchStore>>;

  beforeAll(async () => {
    store = await scratchStore(dialect);
    db = store.db;
    // A second run finds nothing to do (every instance that starts runs the migrations).
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await store.remove();
  });

  it('runs on the dialect it was opened for', () => {
    expect(storeDialect(db)).toBe(dialect);
  });

  it('stores a delivery once, counts a repeat as a duplicate and a changed one as a revision', async () => {
    const inbox = new InboxRepository(db);
    expect(await inbox.storeDelivery('yunfu', items(3, 'a'), 'corr-1', AT)).toMatchObject({ stored: 3, duplicates: 0 });
    expect(await inbox.storeDelivery('yunfu', items(3, 'a'), 'corr-2', AT)).toMatchObject({ stored: 0, duplicates: 3 });
    const changed = [{ eventKey: 'a-0', eventName: 'call.success', payload: { index: 0, regraded: true } }];
    expect(await inbox.storeDelivery('yunfu', changed, 'corr-3', AT)).toMatchObject({ stored: 0, revised: 1 });
    const rows = await inbox.list({ vendor: 'yunfu' });
    expect(rows.map((row) => [row.event_key, row.revision, typeof row.id])).toEqual([
      ['a-0', 2, 'number'],
      ['a-1', 1, 'number'],
      ['a-2', 1, 'number'],
    ]);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 3 });
  });

  it('claims oldest first under a lease, completes, and keeps the ledgers', async () => {
    const inbox = new InboxRepository(db);
    const claimed = await inbox.claim(2, 60_000, AT);
    expect(claimed.map((row) => row.event_key)).toEqual(['a-0', 'a-1']);
    expect(await inbox.claim(10, 60_000, AT)).toHaveLength(1);
    // A lease that ran out (a worker that died) is claimed again.
    expect(await inbox.claim(10, 60_000, new Date(AT.getTime() + 61_000))).toHaveLength(3);
    const ledger = new LedgerRepository(db);
    await ledger.markCreating(['yunfu:a-0'], AT);
    await ledger.saveCalls([{ key: 'yunfu:a-0', callId: '901', contactId: '501', record: { talk: 43 } }], AT);
    expect((await ledger.calls(['yunfu:a-0'])).get('yunfu:a-0')).toMatchObject({
      state: 'synced',
      call_id: '901',
      create_tries: 0,
    });
  });

  it('counts a changed repeat of an event identified by its key alone as a duplicate, keeping the first payload', async () => {
    const inbox = new InboxRepository(db);
    const report = (url: string) => [
      {
        eventKey: 'call-1:end-of-call-report',
        eventName: 'end-of-call-report',
        payload: { url },
        sameEventBy: 'key' as const,
      },
    ];
    expect(await inbox.storeDelivery('vapi', report('https://x.test/a?sig=1'), 'corr-1', AT)).toMatchObject({
      stored: 1,
      duplicates: 0,
    });
    expect(await inbox.storeDelivery('vapi', report('https://x.test/a?sig=2'), 'corr-2', AT)).toMatchObject({
      stored: 0,
      revised: 0,
      duplicates: 1,
    });
    const rows = await inbox.list({ vendor: 'vapi' });
    expect(rows.map((row) => [row.event_key, row.revision, JSON.parse(row.payload) as unknown])).toEqual([
      ['call-1:end-of-call-report', 1, { url: 'https://x.test/a?sig=1' }],
    ]);
  });
});

describe.each(['sqlite', 'postgres'] as const)('the sync lease on %s', (dialect) => {
  let db: StoreDb;
  let store: Awaited<ReturnType<typeof scratchStore>>;

  beforeAll(async () => {
    store = await scratchStore(dialect);
    db = store.db;
  });
  afterAll(async () => {
    await store.remove();
  });

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('is held by one instance at a time; a new holder gets a higher epoch, and the old one can no longer renew', async () => {
    const leases = new LeaseRepository(db);
    let a = await leases.acquire('default', 'instance-a', 300, new Date());
    expect(a).toEqual({ portalId: 'default', holder: 'instance-a', epoch: 1 });
    expect(await leases.acquire('default', 'instance-b', 300, new Date())).toBeNull();
    expect(await leases.renew(a!, 300, new Date())).toBe(true);
    // The same instance started again takes its lease back at once, under a new epoch.
    const again = await leases.acquire('default', 'instance-a', 300, new Date());
    expect(again).toEqual({ portalId: 'default', holder: 'instance-a', epoch: 2 });
    expect(await leases.renew(a!, 300, new Date())).toBe(false);
    a = again;
    expect(await leases.view('default', new Date())).toMatchObject({ holder: 'instance-a', epoch: 2, expired: false });

    await pause(400);
    expect((await leases.view('default', new Date()))?.expired).toBe(true);
    const b = await leases.acquire('default', 'instance-b', 300, new Date());
    expect(b).toEqual({ portalId: 'default', holder: 'instance-b', epoch: 3 });
    // The old holder woke up: its lease is gone, whatever its own clock says.
    expect(await leases.renew(a!, 300, new Date())).toBe(false);

    // A graceful stop hands over at once, and the epoch keeps growing.
    await leases.release(b!, new Date());
    expect(await leases.acquire('default', 'instance-a', 300, new Date())).toEqual({
      portalId: 'default',
      holder: 'instance-a',
      epoch: 4,
    });
    // Other portals have leases of their own.
    expect(await leases.acquire('portal-2', 'instance-b', 300, new Date())).toMatchObject({ epoch: 1 });
  });
});

describe.each(['sqlite', 'postgres'] as const)('the mapping versions on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof scratchStore>>;
  const others: StoreDb[] = [];
  const SHIPPED = 'call:\n  title: "{{vendorName}} call"\n';
  const EDITED = 'call:\n  title: "{{vendorName}} call, level {{intention.label}}"\n';

  beforeAll(async () => {
    store = await scratchStore(dialect);
  });
  afterAll(async () => {
    for (const db of others.splice(0)) await db.destroy();
    await store.remove();
  });

  it('numbers each new text upwards, stores a text equal to the current one no more, and keeps the history', async () => {
    const versions = new MappingVersionRepository(store.db);
    expect(await versions.head('default')).toBeNull();
    expect(await versions.current('default')).toBeNull();

    const first = await versions.publish('default', { yaml: SHIPPED, storedBy: 'a', trigger: 'start' }, AT);
    expect(first).toEqual({
      created: true,
      stored: { version: 1, digest: textDigest(SHIPPED), storedAt: AT.toISOString(), storedBy: 'a', trigger: 'start' },
    });
    // The same text again (another instance starting, a reload of an unchanged file): no new version.
    const again = await versions.publish('default', { yaml: SHIPPED, storedBy: 'b', trigger: 'start' }, AT);
    expect(again).toEqual({ created: false, stored: first.stored });

    const edited = await versions.publish('default', { yaml: EDITED, storedBy: 'b', trigger: 'admin request' }, AT);
    expect(edited).toMatchObject({ created: true, stored: { version: 2, storedBy: 'b', trigger: 'admin request' } });
    expect(await versions.head('default')).toEqual({ version: 2, digest: textDigest(EDITED) });
    expect(await versions.current('default')).toMatchObject({ version: 2, yaml: EDITED, storedBy: 'b' });

    // Going back to an earlier text is a change too: a new version, and the history knows both.
    const back = await versions.publish('default', { yaml: SHIPPED, storedBy: 'c', trigger: 'SIGHUP' }, AT);
    expect(back).toMatchObject({ created: true, stored: { version: 3, digest: textDigest(SHIPPED) } });
    expect(await versions.findByDigest('default', textDigest(SHIPPED))).toMatchObject({ version: 3, storedBy: 'c' });
    expect(await versions.findByDigest('default', textDigest(EDITED))).toMatchObject({ version: 2, storedBy: 'b' });
    expect(await versions.findByDigest('default', textDigest('never stored'))).toBeNull();

    // Other portals have versions of their own.
    expect(await versions.publish('portal-2', { yaml: EDITED, storedBy: 'a', trigger: 'start' }, AT)).toMatchObject({
      created: true,
      stored: { version: 1 },
    });
    expect(await versions.head('default')).toEqual({ version: 3, digest: textDigest(SHIPPED) });
  });

  it('makes one version of a text 8 instances store at once, and a version per change when their texts differ', async () => {
    while (others.length < 8) others.push(store.openAnother());
    const portal = 'race';
    const text = (index: number) => `call:\n  title: "race ${index}"\n`;
    const same = await Promise.all(
      others.map((db, index) =>
        new MappingVersionRepository(db).publish(
          portal,
          { yaml: text(0), storedBy: `i-${index}`, trigger: 'start' },
          AT,
        ),
      ),
    );
    expect(same.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(same.map((result) => result.stored.version))).toEqual(new Set([1]));

    // Two texts, four instances each, at once: every version differs from the one before it.
    const mixed = await Promise.all(
      others.map((db, index) =>
        new MappingVersionRepository(db).publish(
          portal,
          { yaml: text(1 + (index % 2)), storedBy: `i-${index}`, trigger: 'file change' },
          AT,
        ),
      ),
    );
    const rows = await store.db
      .selectFrom('mapping_versions')
      .select(['version', 'digest'])
      .where('portal_id', '=', portal)
      .orderBy('version')
      .execute();
    expect(rows.map((row) => Number(row.version))).toEqual(rows.map((_, index) => index + 1));
    for (let index = 1; index < rows.length; index++) expect(rows[index]!.digest).not.toBe(rows[index - 1]!.digest);
    expect(mixed.filter((result) => result.created).length).toBe(rows.length - 1);
    expect(rows.length).toBeGreaterThanOrEqual(2);
  });
});

describe('the claim on PostgreSQL, with 8 instances claiming at once', () => {
  let database: TestDatabase;
  let stores: StoreDb[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    stores = Array.from({ length: 8 }, () => openStore(database.settings()));
    await migrateToLatest(stores[0]!);
  });
  afterAll(async () => {
    for (const store of stores) await store.destroy();
    await database.drop();
  });

  /** 8 stores (as 8 instances have) claim batches of 25 until 2,000 events are gone; how often was each claimed. */
  async function race(
    claim: (inbox: InboxRepository, db: StoreDb) => Promise<Array<{ id: number }>>,
  ): Promise<Map<number, number>> {
    await sql`delete from inbox_events`.execute(stores[0]!);
    const seed = new InboxRepository(stores[0]!);
    for (let part = 0; part < 4; part++) await seed.storeDelivery('yunfu', items(500, `race-${part}`), 'seed', AT);
    const times = new Map<number, number>();
    await Promise.all(
      stores.map(async (db) => {
        const inbox = new InboxRepository(db);
        for (let round = 0; round < 200; round++) {
          const rows = await claim(inbox, db);
          if (rows.length === 0) return;
          for (const row of rows) times.set(row.id, (times.get(row.id) ?? 0) + 1);
        }
      }),
    );
    return times;
  }

  it('takes overlapping deliveries from 8 instances at once, in opposite key orders, without a deadlock', async () => {
    await sql`delete from inbox_events`.execute(stores[0]!);
    const keys = Array.from({ length: 40 }, (_, index) => `overlap-${String(index).padStart(2, '0')}`);
    const delivery = (order: string[], round: number) =>
      order.map((key) => ({ eventKey: key, eventName: 'call.success', payload: { key, round } }));
    const outcomes = await Promise.allSettled(
      stores.flatMap((db, instance) => {
        const inbox = new InboxRepository(db);
        return Array.from({ length: 5 }, (_, round) =>
          inbox.storeDelivery(
            'yunfu',
            delivery(instance % 2 === 0 ? keys : [...keys].reverse(), round),
            `c-${instance}`,
            AT,
          ),
        );
      }),
    );
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed.map((outcome) => String(outcome.reason))).toEqual([]);
    expect(await new InboxRepository(stores[0]!).countByStatus()).toMatchObject({ pending: 40 });
  });

  it('never claims an event twice (the same claim without row locks does)', async () => {
    const locked = await race((inbox) => inbox.claim(25, 60_000, AT));
    const twice = [...locked.values()].filter((count) => count > 1).length;
    // The claim as it was before Postgres: the same update of the oldest claimable ids, without FOR UPDATE SKIP LOCKED.
    // Its updaters lock overlapping rows in whatever order the plan visits them, so PostgreSQL now and then ends one
    // as a deadlock's victim (40P01): that claim is tried again, as a worker would on its next round (at most 5 times).
    const naiveClaim = (db: StoreDb) =>
      db
        .updateTable('inbox_events')
        .set({ status: 'processing', lease_until: '2026-11-30T10:01:00.000Z', updated_at: AT.toISOString() })
        .where(
          'id',
          'in',
          db.selectFrom('inbox_events').select('id').where('status', '=', 'pending').orderBy('id').limit(25),
        )
        .returning('id')
        .execute();
    const naive = await race(async (_inbox, db) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await naiveClaim(db);
        } catch (error) {
          if ((error as { code?: string }).code !== '40P01' || attempt === 5) throw error;
        }
      }
    });
    const naiveTwice = [...naive.values()].filter((count) => count > 1).length;
    process.stdout.write(
      `[store] 8 claimers over 2,000 events: ${locked.size} claimed, ${twice} twice with SKIP LOCKED; ${naiveTwice} twice without\n`,
    );
    expect(locked.size).toBe(2_000);
    expect(twice).toBe(0);
    expect(naiveTwice).toBeGreaterThan(0);
  });
});

/**
 * The SQL and parameters of the worker's claim as the repository sends them (captured on the way out; the claim
 * itself runs).
 */
async function claimAndCapture(db: StoreDb, limit: number): Promise<{ claimed: number[]; query: CompiledQuery }> {
  let query: CompiledQuery | undefined;
  const capturing = db.withPlugin({
    transformQuery: ({ node, queryId }) => {
      query ??= db.getExecutor().compileQuery(node, queryId);
      return node;
    },
    transformResult: ({ result }) => Promise.resolve(result),
  });
  const rows = await new InboxRepository(capturing).claim(limit, 60_000, AT);
  return { claimed: rows.map((row) => row.id), query: query! };
}

describe.each(['sqlite', 'postgres'] as const)('the claim on %s, in a store of many synced events', (dialect) => {
  let store: Awaited<ReturnType<typeof scratchStore>>;

  beforeAll(async () => {
    store = await scratchStore(dialect);
  });
  afterAll(async () => {
    await store.remove();
  });

  it('finds the waiting events through an index of statuses, not by walking every synced event before them', async () => {
    // 20,000 synced events, then 2,000 pending ones (the newest). Once PostgreSQL's statistics showed such a
    // backlog, its planner walked the primary key in id order past every synced event: about a second per claim
    // at 1,000,000 events (BENCHMARKS.md, growth).
    const series =
      dialect === 'postgres'
        ? sql`generate_series(1, 22000) as s(n)`
        : sql`(with recursive s(n) as (select 1 union all select n + 1 from s where n < 22000) select n from s) as s`;
    await sql`insert into inbox_events (vendor, event_key, event_name, payload, content_digest, correlation_id,
        received_at, updated_at, revision, status, attempts)
      select 'yunfu', 'many-' || n, 'call.success', '{}', 'digest', 'seed', ${AT.toISOString()}, ${AT.toISOString()}, 1,
        case when n > 20000 then 'pending' else 'synced' end, 0
      from ${series}`.execute(store.db);
    // Statistics as autovacuum keeps them; the connector never gathers any on SQLite.
    if (dialect === 'postgres') await sql`analyze`.execute(store.db);

    const { claimed, query } = await claimAndCapture(store.db, 100);
    expect(claimed).toHaveLength(100);
    expect(claimed[0]).toBe(20_001);
    const explain = dialect === 'postgres' ? 'explain' : 'explain query plan';
    const { rows } = await store.db.executeQuery<Record<string, string>>(
      CompiledQuery.raw(`${explain} ${query.sql}`, [...query.parameters]),
    );
    const plan = rows.map((row) => row['QUERY PLAN'] ?? row['detail']).join('\n');
    if (dialect === 'postgres') expect(plan).toContain('Index Scan using inbox_events_waiting');
    else {
      expect(plan).toContain('USING INDEX inbox_events_status_id');
      expect(plan).not.toMatch(/SCAN inbox_events(?! USING)/);
    }
  });
});

describe.each(['sqlite', 'postgres'] as const)('claims on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof scratchStore>>;
  let inbox: InboxRepository;
  const later = (ms: number) => new Date(AT.getTime() + ms);
  const LEASE = 60_000;

  beforeAll(async () => {
    store = await scratchStore(dialect);
    inbox = new InboxRepository(store.db);
  });
  afterAll(async () => {
    await store.remove();
  });

  /** A fresh inbox of `count` pending events; their ids. */
  async function pending(count: number, prefix: string): Promise<number[]> {
    await sql`delete from inbox_events`.execute(store.db);
    await sql`delete from inbox_claims`.execute(store.db);
    await inbox.storeDelivery('yunfu', items(count, prefix), 'corr', AT);
    return (await inbox.list()).map((row) => row.id);
  }

  /** The event's own row, as stored (not as the repository reports it), and on PostgreSQL where its version lies. */
  async function storedRow(id: number) {
    const location = dialect === 'postgres' ? sql<string>`ctid::text` : sql<string>`null`;
    return store.db
      .selectFrom('inbox_events')
      .select(['status', 'updated_at', 'lease_until', 'lease_epoch', location.as('version')])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  it('writes nothing to the claimed events themselves (PostgreSQL: no new row version, so no index entries)', async () => {
    const [first] = await pending(3, 'untouched');
    const before = await storedRow(first!);
    const [claimed] = await inbox.claim(1, LEASE, later(1_000), 7);
    expect(claimed).toMatchObject({ id: first, status: 'processing', lease_epoch: 7 });
    expect(await storedRow(first!)).toEqual(before);
    expect(before).toMatchObject({ status: 'pending', lease_until: null, lease_epoch: null });
  });

  it('reports a claimed event as processing in counts, lists and lookups; the ready count and the next retry skip it', async () => {
    const [a, b, c] = await pending(3, 'reported');
    // c fails and waits for a retry due now.
    await inbox.claim(3, LEASE, AT);
    await inbox.complete(c!, 1, { status: 'retrying', error: 'later', nextAttemptAt: AT }, AT);
    await inbox.release([a!, b!], AT);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 2, processing: 0, retrying: 1 });
    expect(await inbox.readyCount(later(1))).toBe(3);
    expect(await inbox.nextRetryAt()).toBe(AT.toISOString());

    const claimedAt = later(1_000);
    const claimed = await inbox.claim(2, LEASE, claimedAt, 4);
    expect(claimed.map((row) => row.id)).toEqual([a, b]);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 0, processing: 2, retrying: 1 });
    expect(await inbox.waitingCount()).toBe(3);
    expect(await inbox.readyCount(claimedAt)).toBe(1);
    expect((await inbox.list({ status: 'processing' })).map((row) => row.id)).toEqual([a, b]);
    expect(await inbox.list({ status: 'pending' })).toEqual([]);
    const lease = { lease_until: later(1_000 + LEASE).toISOString(), lease_epoch: 4 };
    expect(await inbox.findById(a!)).toEqual({ ...claimed[0], ...lease, updated_at: claimedAt.toISOString() });
    expect(await inbox.findByKey('yunfu', 'reported-1')).toMatchObject({ id: b, status: 'processing', ...lease });

    // The retrying event, claimed too: no retry is waiting any more.
    expect((await inbox.claim(10, LEASE, claimedAt, 4)).map((row) => row.id)).toEqual([c]);
    expect(await inbox.countByStatus()).toMatchObject({ processing: 3, retrying: 0 });
    expect(await inbox.nextRetryAt()).toBeNull();
    expect(await inbox.list({ status: 'retrying' })).toEqual([]);

    // Settled: the claims end.
    await inbox.completeAll(
      [a!, b!, c!].map((id) => ({ id, revision: 1, outcome: { status: 'skipped' as const, error: 'no call' } })),
      later(2_000),
    );
    expect(await inbox.countByStatus()).toMatchObject({ processing: 0, skipped: 3 });
    expect(await store.db.selectFrom('inbox_claims').selectAll().execute()).toEqual([]);
  });

  it('claims an event once while its lease holds, and again once it ran out', async () => {
    const ids = await pending(4, 'lease');
    expect((await inbox.claim(2, LEASE, AT, 1)).map((row) => row.id)).toEqual(ids.slice(0, 2));
    // The held claims on the oldest events do not shrink the next batch.
    expect((await inbox.claim(1, LEASE, later(LEASE), 1)).map((row) => row.id)).toEqual([ids[2]]);
    expect((await inbox.claim(10, LEASE, later(LEASE), 1)).map((row) => row.id)).toEqual([ids[3]]);
    expect(await inbox.claim(10, LEASE, later(LEASE), 1)).toEqual([]);
    const again = await inbox.claim(10, LEASE, later(LEASE + 1), 2);
    expect(again.map((row) => [row.id, row.lease_epoch])).toEqual([
      [ids[0], 2],
      [ids[1], 2],
    ]);
  });

  it("ends a claim when a new revision of the event arrives; the old revision's outcome is not recorded", async () => {
    const [id] = await pending(1, 'regrade');
    await inbox.claim(1, LEASE, AT, 1);
    const regraded = [{ eventKey: 'regrade-0', eventName: 'call.success', payload: { index: 0, regraded: true } }];
    expect(await inbox.storeDelivery('yunfu', regraded, 'corr-2', AT)).toMatchObject({ revised: 1 });
    expect(await inbox.findById(id!)).toMatchObject({ status: 'pending', revision: 2, lease_until: null });
    expect(await inbox.readyCount(AT)).toBe(1);
    expect(await inbox.complete(id!, 1, { status: 'skipped', error: 'old' }, AT)).toBe(false);
    const [again] = await inbox.claim(1, LEASE, AT, 1);
    expect(again).toMatchObject({ id, revision: 2, status: 'processing' });
  });

  it('hands back only claimed events: pending at once, or retrying until a time; orphans by epoch', async () => {
    const [a, , c, d] = await pending(4, 'back');
    await inbox.claim(1, LEASE, AT, 1);
    await inbox.claim(1, LEASE, AT, 2);
    await inbox.claim(2, LEASE, AT, 3);
    // d's outcome was recorded meanwhile: handing it back changes nothing.
    await inbox.complete(d!, 1, { status: 'dead', error: 'bad' }, AT);
    const until = later(30_000);
    await inbox.release([c!, d!], later(1), until);
    expect(await inbox.findById(c!)).toMatchObject({ status: 'retrying', next_attempt_at: until.toISOString() });
    expect(await inbox.findById(d!)).toMatchObject({ status: 'dead' });
    expect(await inbox.claim(10, LEASE, later(2), 3)).toEqual([]);

    // Epoch 3 takes over: the claims of epochs 1 and 2 go back.
    expect(await inbox.releaseOrphans(later(3), 3)).toBe(2);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 2, processing: 0, retrying: 1, dead: 1 });
    await inbox.claim(1, LEASE, later(4), 3);
    expect(await inbox.releaseOrphans(later(5), 3)).toBe(0);
    await inbox.release([a!], later(6));
    expect(await inbox.findById(a!)).toMatchObject({
      status: 'pending',
      lease_until: null,
      updated_at: later(6).toISOString(),
    });
    await inbox.claim(2, LEASE, later(7), 3);
    expect(await inbox.releaseOrphans(later(8))).toBe(2);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 2, processing: 0 });
  });

  it("works beside the previous release, whose claims mark the event's own row processing", async () => {
    const [a, b, c] = await pending(3, 'previous');
    // The previous release's claim (an epoch-1 leader), word for word as it wrote it.
    await store.db
      .updateTable('inbox_events')
      .set({
        status: 'processing',
        lease_until: later(LEASE).toISOString(),
        updated_at: AT.toISOString(),
        lease_epoch: 1,
      })
      .where('id', 'in', [a!, b!])
      .execute();
    expect(await inbox.countByStatus()).toMatchObject({ pending: 1, processing: 2 });
    expect(await inbox.findById(a!)).toMatchObject({ status: 'processing', lease_epoch: 1 });
    // Its lease holds: only c is claimed.
    expect((await inbox.claim(10, LEASE, AT, 2)).map((row) => row.id)).toEqual([c]);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 0, processing: 3 });
    // Epoch 2 took over: the previous release's claims go back, this epoch's own stays.
    expect(await inbox.releaseOrphans(later(1), 2)).toBe(2);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 2, processing: 1 });

    // A claim of the previous release whose lease ran out is claimed again, and settled.
    await store.db
      .updateTable('inbox_events')
      .set({ status: 'processing', lease_until: later(2).toISOString(), lease_epoch: 1 })
      .where('id', '=', a!)
      .execute();
    const [taken] = await inbox.claim(1, LEASE, later(3), 2);
    expect(taken).toMatchObject({ id: a, status: 'processing', lease_epoch: 2 });
    expect(await inbox.releaseOrphans(later(4), 2)).toBe(0);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 1, processing: 2 });
    expect(await inbox.complete(a!, 1, { status: 'skipped', error: 'no call' }, later(5))).toBe(true);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 1, processing: 1, skipped: 1 });
  });

  it("puts claims back into the events' own rows when the store is migrated back to the previous release", async () => {
    const [a, b] = await pending(2, 'down');
    await inbox.claim(1, LEASE, AT, 5);
    const { error } = await storeMigrator(store.db).migrateTo('0009-portal-keys');
    expect(error).toBeUndefined();
    const stored = await store.db
      .selectFrom('inbox_events')
      .select(['id', 'status', 'lease_until', 'lease_epoch'])
      .orderBy('id')
      .execute();
    expect(stored).toEqual([
      { id: a, status: 'processing', lease_until: later(LEASE).toISOString(), lease_epoch: 5 },
      { id: b, status: 'pending', lease_until: null, lease_epoch: null },
    ]);
    await migrateToLatest(store.db);
    expect(await inbox.countByStatus()).toMatchObject({ pending: 1, processing: 1 });
  });
});

describe('a store that cannot be used', () => {
  it('names the server and the reason, never the password', async () => {
    const settings = validateEnv({ DATABASE_URL: 'postgres://connector:s3cret-pw@127.0.0.1:9/connector' }).database;
    const db = openStore(settings);
    const failure = await checkStoreReachable(db, settings).then(
      () => null,
      (error: unknown) => error,
    );
    await db.destroy();
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toBe(
      'cannot use the store at postgres 127.0.0.1:9/connector: the connection was refused (is PostgreSQL running there?)',
    );
  });

  it('says when the database does not exist', async () => {
    const url = new URL((await import('../support/postgres.js')).TEST_DATABASE_URL);
    url.pathname = '/no_such_database_here';
    const settings = validateEnv({ DATABASE_URL: url.toString() }).database;
    const db = openStore(settings);
    const failure = await checkStoreReachable(db, settings).then(
      () => null,
      (error: unknown) => error,
    );
    await db.destroy();
    expect((failure as Error).message).toMatch(
      /^cannot use the store at postgres 127\.0\.0\.1:5432\/no_such_database_here: the database does not exist$/,
    );
  });
});
