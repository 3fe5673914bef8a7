import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDigest } from '../../src/common/content-digest.js';
import type { DatabaseSettings } from '../../src/config/env.schema.js';
import { openStore, type StoreDb, type StoreDialect } from '../../src/store/database.js';
import { InboxRepository } from '../../src/store/inbox.repository.js';
import { LedgerRepository } from '../../src/store/ledger.repository.js';
import { migrateToLatest, storeMigrator } from '../../src/store/migrations/migrations.js';
import { createTestDatabase } from '../support/postgres.js';

/**
 * The keys carry the HubSpot portal (migration 0009-portal-keys): a store made by the release before it keeps every
 * row, under the `default` portal, on SQLite and on PostgreSQL; and two portals on one store keep apart.
 */
const AT = new Date('2026-11-30T10:00:00Z');
const BEFORE = '0006-mapping-versions';

/** An empty store of the dialect, not migrated. */
async function emptyStore(dialect: StoreDialect): Promise<{ db: StoreDb; remove(): Promise<void> }> {
  const database = dialect === 'postgres' ? await createTestDatabase() : null;
  const dir = database ? null : mkdtempSync(join(tmpdir(), 'store-portal-keys-'));
  const settings: DatabaseSettings = database
    ? database.settings()
    : { kind: 'sqlite', file: join(dir!, 'connector.sqlite') };
  const db = openStore(settings);
  return {
    db,
    async remove() {
      await db.destroy();
      await database?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function migrateTo(db: StoreDb, name: string): Promise<void> {
  const { error, results } = await storeMigrator(db).migrateTo(name);
  if (error) throw error instanceof Error ? error : new Error('migration failed');
  expect(results?.filter((result) => result.status === 'Error')).toEqual([]);
}

/** Index names of the three tables (the keys' own indexes aside: those change). */
async function indexNames(db: StoreDb, dialect: StoreDialect): Promise<string[]> {
  const tables = ['inbox_events', 'call_ledger', 'contact_ledger'];
  const { rows } =
    dialect === 'postgres'
      ? await sql<{ name: string }>`select indexname as name from pg_indexes where tablename in (${sql.join(tables)})
          and indexname not like '%key' order by indexname`.execute(db)
      : await sql<{ name: string }>`select name from sqlite_master where type = 'index' and sql is not null
          and tbl_name in (${sql.join(tables)}) order by name`.execute(db);
  return rows.map((row) => row.name);
}

/** An event as the previous release stored it (its id given by the store). */
const inboxRow = (eventKey: string, status: string) => ({
  vendor: 'yunfu',
  event_key: eventKey,
  event_name: 'call.success',
  payload: JSON.stringify({ eventKey }),
  content_digest: contentDigest({ eventKey }),
  correlation_id: `corr-${eventKey}`,
  received_at: AT.toISOString(),
  updated_at: AT.toISOString(),
  revision: 2,
  status,
  attempts: 1,
  lease_until: null,
  records: status === 'synced' ? '[{"callId":"c-1"}]' : null,
  last_error: status === 'dead' ? 'gone' : null,
  next_attempt_at: null,
  hubspot_contact_id: status === 'synced' ? '501' : null,
  hubspot_call_id: status === 'synced' ? '901' : null,
  lease_epoch: 3,
});

describe.each(['sqlite', 'postgres'] as const)('migrating a store of the previous release on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof emptyStore>>;
  // The tables as they were before the portal: typed by hand, as the release before this one wrote them.
  let old: Kysely<Record<string, Record<string, unknown>>>;
  let indexesBefore: string[];

  beforeAll(async () => {
    store = await emptyStore(dialect);
    await migrateTo(store.db, BEFORE);
    old = store.db as unknown as typeof old;
    await old
      .insertInto('inbox_events')
      .values([inboxRow('e-1', 'synced'), inboxRow('e-2', 'dead'), inboxRow('e-3', 'pending')])
      .execute();
    // The newest event is gone (as pruning or a test may leave it): its id must not be given again.
    await old.deleteFrom('inbox_events').where('id', '=', 3).execute();
    await old
      .insertInto('call_ledger')
      .values([
        {
          call_key: 'yunfu:c-1',
          call_id: '901',
          contact_id: '501',
          state: 'synced',
          intent_at: null,
          record: '{}',
          updated_at: AT.toISOString(),
          create_tries: 0,
        },
        {
          call_key: 'yunfu:c-2',
          call_id: null,
          contact_id: null,
          state: 'creating',
          intent_at: AT.toISOString(),
          record: null,
          updated_at: AT.toISOString(),
          create_tries: 2,
        },
      ])
      .execute();
    await old
      .insertInto('contact_ledger')
      .values({
        e164: '+15550100',
        contact_id: '501',
        origin: 'created',
        updated_at: AT.toISOString(),
        filled: '["city"]',
      })
      .execute();
    indexesBefore = await indexNames(store.db, dialect);
    await migrateToLatest(store.db);
  });
  afterAll(async () => {
    await store.remove();
  });

  it('keeps every event, column for column, under the default portal', async () => {
    const rows = await old.selectFrom('inbox_events').selectAll().orderBy('id').execute();
    expect(rows).toEqual([
      expect.objectContaining({ id: 1, ...inboxRow('e-1', 'synced'), portal_id: 'default' }),
      expect.objectContaining({ id: 2, ...inboxRow('e-2', 'dead'), portal_id: 'default' }),
    ]);
  });

  it('keeps both ledgers under the default portal, where the repositories find them', async () => {
    const ledger = new LedgerRepository(store.db);
    const calls = await ledger.calls(['yunfu:c-1', 'yunfu:c-2']);
    expect(calls.get('yunfu:c-1')).toMatchObject({ portal_id: 'default', call_id: '901', state: 'synced' });
    expect(calls.get('yunfu:c-2')).toMatchObject({ portal_id: 'default', state: 'creating', create_tries: 2 });
    const contacts = await ledger.contacts(['+15550100']);
    expect(contacts.get('+15550100')).toEqual({ contactId: '501', filled: new Set(['city']) });
    // An upsert lands on the migrated row, not beside it.
    await ledger.markCreating(['yunfu:c-2'], AT);
    expect((await ledger.calls(['yunfu:c-2'])).get('yunfu:c-2')).toMatchObject({ create_tries: 3 });
  });

  it('gives a new event the next id (never one given before), and dedupes against the events stored before', async () => {
    const inbox = new InboxRepository(store.db);
    const stored = await inbox.storeDelivery(
      'yunfu',
      [{ eventKey: 'e-4', eventName: 'call.success', payload: {} }],
      'c',
      AT,
    );
    expect(stored).toEqual({ stored: 1, revised: 0, duplicates: 0 });
    // Id 3 was given to the event deleted before the migration.
    expect((await inbox.findByKey('yunfu', 'e-4'))?.id).toBe(4);

    expect(await inbox.findByKey('yunfu', 'e-1')).toMatchObject({ id: 1, portal_id: 'default', status: 'synced' });
    const again = [{ eventKey: 'e-1', eventName: 'call.success', payload: { eventKey: 'e-1' } }];
    expect(await inbox.storeDelivery('yunfu', again, 'c', AT)).toEqual({ stored: 0, revised: 0, duplicates: 1 });
    const changed = await inbox.storeDelivery(
      'yunfu',
      [{ eventKey: 'e-2', eventName: 'call.success', payload: { x: 1 } }],
      'c',
      AT,
    );
    expect(changed).toEqual({ stored: 0, revised: 1, duplicates: 0 });
    expect(await inbox.findByKey('yunfu', 'e-2')).toMatchObject({ id: 2, revision: 3, status: 'pending' });
  });

  it('keeps the tables’ indexes, and keys each table by its portal', async () => {
    // Later migrations may add indexes; none of the earlier ones is lost.
    expect(await indexNames(store.db, dialect)).toEqual(expect.arrayContaining(indexesBefore));
    // A second portal may hold the same keys; the same portal may not.
    const other = { ...inboxRow('e-1', 'pending'), portal_id: 'portal-2' };
    await old.insertInto('inbox_events').values(other).execute();
    await expect(old.insertInto('inbox_events').values(other).execute()).rejects.toThrow(/unique|duplicate/i);
    const call = { portal_id: 'portal-2', call_key: 'yunfu:c-1', state: 'synced', updated_at: AT.toISOString() };
    await old.insertInto('call_ledger').values(call).execute();
    await expect(old.insertInto('call_ledger').values(call).execute()).rejects.toThrow(/unique|duplicate/i);
    const contact = {
      portal_id: 'portal-2',
      e164: '+15550100',
      contact_id: '7',
      origin: 'created',
      updated_at: AT.toISOString(),
    };
    await old.insertInto('contact_ledger').values(contact).execute();
    await expect(old.insertInto('contact_ledger').values(contact).execute()).rejects.toThrow(/unique|duplicate/i);
  });

  it('goes back to the previous release’s keys when migrated down, with the default portal’s rows', async () => {
    await old.deleteFrom('inbox_events').where('portal_id', '=', 'portal-2').execute();
    await old.deleteFrom('call_ledger').where('portal_id', '=', 'portal-2').execute();
    await old.deleteFrom('contact_ledger').where('portal_id', '=', 'portal-2').execute();
    await migrateTo(store.db, BEFORE);
    expect(await indexNames(store.db, dialect)).toEqual(indexesBefore);
    const events = await old.selectFrom('inbox_events').select(['id', 'event_key']).orderBy('id').execute();
    expect(events).toEqual([
      { id: 1, event_key: 'e-1' },
      { id: 2, event_key: 'e-2' },
      { id: 4, event_key: 'e-4' },
    ]);
    expect(await old.selectFrom('call_ledger').select('call_key').orderBy('call_key').execute()).toEqual([
      { call_key: 'yunfu:c-1' },
      { call_key: 'yunfu:c-2' },
    ]);
    // And up again: the migration runs on a store it already ran on and left.
    await migrateToLatest(store.db);
    expect(await new InboxRepository(store.db).findByKey('yunfu', 'e-4')).toMatchObject({ portal_id: 'default' });
  });
});

describe.each(['sqlite', 'postgres'] as const)('two portals on one store on %s', (dialect) => {
  let store: Awaited<ReturnType<typeof emptyStore>>;

  beforeAll(async () => {
    store = await emptyStore(dialect);
    await migrateToLatest(store.db);
  });
  afterAll(async () => {
    await store.remove();
  });

  it('store the same vendor event once each, and find only their own', async () => {
    const first = new InboxRepository(store.db);
    const second = new InboxRepository(store.db, undefined, 'portal-2');
    const event = [{ eventKey: 'shared', eventName: 'call.success', payload: { n: 1 } }];
    expect(await first.storeDelivery('yunfu', event, 'c-1', AT)).toMatchObject({ stored: 1 });
    expect(await second.storeDelivery('yunfu', event, 'c-2', AT)).toMatchObject({ stored: 1 });
    expect(await second.storeDelivery('yunfu', event, 'c-3', AT)).toMatchObject({ duplicates: 1 });
    expect((await first.findByKey('yunfu', 'shared'))?.correlation_id).toBe('c-1');
    expect((await second.findByKey('yunfu', 'shared'))?.correlation_id).toBe('c-2');
    expect(await new InboxRepository(store.db, undefined, 'portal-3').findByKey('yunfu', 'shared')).toBeUndefined();
  });

  it('keep ledgers of their own: the same call and number are two entries, written and forgotten apart', async () => {
    const first = new LedgerRepository(store.db);
    const second = new LedgerRepository(store.db, undefined, 'portal-2');
    await first.markCreating(['yunfu:c'], AT);
    await first.saveCalls([{ key: 'yunfu:c', callId: '901', contactId: '501', record: {} }], AT);
    expect(await second.calls(['yunfu:c'])).toEqual(new Map());
    await second.saveDeferred([{ key: 'yunfu:c', record: { talk: 1 } }], AT);
    expect((await second.calls(['yunfu:c'])).get('yunfu:c')).toMatchObject({ state: 'deferred', call_id: null });
    expect((await first.calls(['yunfu:c'])).get('yunfu:c')).toMatchObject({ state: 'synced', call_id: '901' });
    await second.forgetCalls(['yunfu:c']);
    expect((await first.calls(['yunfu:c'])).size).toBe(1);

    await first.saveContacts([{ e164: '+15550100', contactId: '501', origin: 'created', filled: new Set() }], AT);
    await second.saveContacts([{ e164: '+15550100', contactId: '7', origin: 'adopted', filled: new Set() }], AT);
    expect((await first.contacts(['+15550100'])).get('+15550100')?.contactId).toBe('501');
    expect((await second.contacts(['+15550100'])).get('+15550100')?.contactId).toBe('7');
    await first.forgetContacts(['+15550100']);
    expect((await first.contacts(['+15550100'])).size).toBe(0);
    expect((await second.contacts(['+15550100'])).size).toBe(1);
  });
});
