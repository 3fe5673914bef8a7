import { afterEach, describe, expect, it } from 'vitest';
import { inputRefusal } from '../../test/support/fake-hubspot-port.js';
import { fixture } from '../../test/support/fixtures.js';
import { chinaMobile, yunfuBatch, yunfuCall } from '../../test/support/payload-factory.js';
import {
  closeChecked,
  syncFixture,
  type SyncFixture,
  type SyncFixtureOptions,
} from '../../test/support/sync-fixture.js';
import type { InboxEventRow } from '../store/inbox.repository.js';

/** Retention: which payloads the pruner blanks, what it leaves, and that exactly-once outlives the payload. */
let f: SyncFixture | null = null;
afterEach(async () => {
  const done = f;
  f = null;
  await closeChecked(done);
});

const DAY_MS = 86_400_000;
/** A per-input refusal HubSpot itself would retry: the event ends `retrying`. */
const internalError = inputRefusal({
  message: 'HubSpot had an internal error with this input',
  retryable: true,
  status: null,
  category: 'INTERNAL_ERROR',
});

async function start(options: SyncFixtureOptions = {}): Promise<SyncFixture> {
  f = await syncFixture({ ...options, env: { RETENTION_DAYS: '30', ...options.env } });
  await f.provision();
  return f;
}

const yunfu = (callid: string, index: number, intention = 1) =>
  yunfuBatch([yunfuCall({ callid, number: chinaMobile(index), intention })]);

async function row(fx: SyncFixture, id: number): Promise<InboxEventRow> {
  const found = await fx.inbox.findById(id);
  if (!found) throw new Error(`no inbox event ${id}`);
  return found;
}

/** Stores a Yunfu call and syncs it now (on the fixture's clock): answers its event id. */
async function synced(fx: SyncFixture, callid: string, index: number): Promise<number> {
  const [id] = await fx.receive('yunfu', yunfu(callid, index));
  await fx.worker.processBatch();
  expect((await row(fx, id!)).status).toBe('synced');
  return id!;
}

describe('InboxPruner', () => {
  it('prunes the payloads of synced and skipped events finished over RETENTION_DAYS ago, and nothing else', async () => {
    const fx = await start();
    const oldSynced = await synced(fx, 'old-synced', 1);
    const [oldSkipped] = await fx.receive('voicefox', fixture('voicefox', 'unknown-event'));
    // Dead: its phone is not a number (dead-lettered with the reason, replayable).
    const [oldDead] = await fx.receive('yunfu', yunfuBatch([yunfuCall({ callid: 'old-dead', number: 'not a phone' })]));
    await fx.worker.processBatch();
    expect((await row(fx, oldSkipped!)).status).toBe('skipped');
    expect((await row(fx, oldDead!)).status).toBe('dead');

    // 31 days on: those are due. Then newer events of every kind, none due.
    fx.clock.advance(31 * DAY_MS);
    const recent = await synced(fx, 'recent', 2);
    fx.fake.refuseInputs('createCalls', (input) => (input.key === 'yunfu:retrying' ? internalError : null));
    const [retrying] = await fx.receive('yunfu', yunfu('retrying', 4));
    await fx.worker.processBatch();
    expect((await row(fx, retrying!)).status).toBe('retrying');
    const [pending] = await fx.receive('yunfu', yunfu('pending', 3));
    const before = await row(fx, oldSynced);
    const ledgerBefore = await fx.ledger.calls(['yunfu:old-synced']);

    expect(await fx.pruner.pruneOnce()).toEqual({ pruned: 2, batches: 1 });

    for (const id of [oldSynced, oldSkipped!]) {
      const pruned = await row(fx, id);
      expect(pruned).toMatchObject({
        payload: '',
        records: null,
        last_error: null,
        pruned_at: fx.clock.now().toISOString(),
      });
    }
    // What dedupe and the operator need stays: key, digest, revision, status, HubSpot ids.
    expect(await row(fx, oldSynced)).toMatchObject({
      vendor: before.vendor,
      event_key: before.event_key,
      content_digest: before.content_digest,
      revision: before.revision,
      status: 'synced',
      hubspot_contact_id: before.hubspot_contact_id,
      hubspot_call_id: before.hubspot_call_id,
      updated_at: before.updated_at,
    });
    expect(before.hubspot_call_id).not.toBeNull();
    // The ledgers are kept.
    expect(await fx.ledger.calls(['yunfu:old-synced'])).toEqual(ledgerBefore);
    // Dead (whatever its age), recent, pending and retrying events keep their payload.
    for (const id of [oldDead, recent, pending, retrying]) {
      const kept = await row(fx, id!);
      expect(kept.pruned_at).toBeNull();
      expect(JSON.parse(kept.payload)).toBeTruthy();
    }
    expect((await row(fx, retrying!)).status).toBe('retrying');
    expect((await row(fx, pending!)).status).toBe('pending');

    // Idempotent: a second pass finds nothing due.
    expect(await fx.pruner.pruneOnce()).toEqual({ pruned: 0, batches: 1 });
    expect(fx.pruner.stats.pruned).toBe(2);
  });

  it('keeps a pruned event a duplicate: its redelivery stores nothing and sends nothing to HubSpot; a re-grade still updates the same call', async () => {
    const fx = await start();
    const id = await synced(fx, 'redelivered', 10);
    const [call] = fx.fake.listCalls();
    fx.clock.advance(31 * DAY_MS);
    expect((await fx.pruner.pruneOnce()).pruned).toBe(1);
    fx.fake.clearCalls();

    const again = await fx.inbox.storeDelivery(
      'yunfu',
      fx.vendors.find('yunfu')!.webhook.split(yunfu('redelivered', 10)),
      'corr-again',
      fx.clock.now(),
    );
    expect(again).toEqual({ stored: 0, revised: 0, duplicates: 1 });
    expect(await fx.worker.processBatch()).toBe(0);
    expect(fx.fake.calls).toEqual([]);
    expect(await row(fx, id)).toMatchObject({ status: 'synced', payload: '', pruned_at: expect.any(String) });

    // The same call re-graded after its payload was pruned: a new revision with its payload, synced onto the same call.
    const regraded = await fx.inbox.storeDelivery(
      'yunfu',
      fx.vendors.find('yunfu')!.webhook.split(yunfu('redelivered', 10, 2)),
      'corr-regrade',
      fx.clock.now(),
    );
    expect(regraded).toMatchObject({ revised: 1 });
    expect(await row(fx, id)).toMatchObject({ status: 'pending', revision: 2, pruned_at: null });
    await fx.worker.processBatch();
    expect(await row(fx, id)).toMatchObject({ status: 'synced', hubspot_call_id: call!.id });
    expect(fx.fake.listCalls()).toHaveLength(1);
    expect(fx.fake.methods()).not.toContain('createCalls');
  });

  it('prunes in statements of at most RETENTION_PRUNE_BATCH_SIZE events, oldest first', async () => {
    const fx = await start({ env: { RETENTION_PRUNE_BATCH_SIZE: '3' } });
    const ids: number[] = [];
    for (let index = 0; index < 10; index++) {
      ids.push(await synced(fx, `batch-${index}`, 100 + index));
      fx.clock.advance(60_000);
    }
    fx.clock.advance(31 * DAY_MS);
    const cutoff = new Date(fx.clock.now().getTime() - 30 * DAY_MS);
    expect(await fx.inbox.prunePayloads(cutoff, 3, fx.clock.now())).toBe(3);
    const prunedIds = async () =>
      (await fx.inbox.list({ status: 'synced' })).filter((event) => event.pruned_at !== null).map((event) => event.id);
    expect(await prunedIds()).toEqual(ids.slice(0, 3));
    expect(await fx.pruner.pruneOnce()).toEqual({ pruned: 7, batches: 3 });
    expect(await prunedIds()).toEqual(ids);
  });

  it('prunes nothing with RETENTION_DAYS=off', async () => {
    const fx = await start({ env: { RETENTION_DAYS: 'off' } });
    const id = await synced(fx, 'kept', 20);
    fx.clock.advance(10_000 * DAY_MS);
    expect(await fx.pruner.pruneOnce()).toEqual({ pruned: 0, batches: 0 });
    expect((await row(fx, id)).pruned_at).toBeNull();
  });

  it('runs on its own only while this instance holds the sync lease', async () => {
    const fx = await start({ env: { RETENTION_PRUNE_INTERVAL_MS: '1000' } });
    const id = await synced(fx, 'scheduled', 30);
    fx.clock.advance(31 * DAY_MS);
    fx.pruner.onApplicationBootstrap();
    // Standing by: its first look (after the interval, here shorter than the start delay) prunes nothing.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await row(fx, id)).pruned_at).toBeNull();
    fx.leader.start();
    await fx.leader.whenLeading(5_000);
    expect(fx.leader.role).toBe('leader');
    const deadline = Date.now() + 10_000;
    while ((await row(fx, id)).pruned_at === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await row(fx, id)).pruned_at).not.toBeNull();
  });

  it('dead-letters a pruned event claimed all the same (a store edited by hand) with the reason, not a parse error', async () => {
    const fx = await start();
    const id = await synced(fx, 'hand-edited', 40);
    fx.clock.advance(31 * DAY_MS);
    await fx.pruner.pruneOnce();
    await fx.db.updateTable('inbox_events').set({ status: 'pending' }).where('id', '=', id).execute();
    fx.fake.clearCalls();
    expect(await fx.worker.processBatch()).toBe(1);
    expect(await row(fx, id)).toMatchObject({
      status: 'dead',
      last_error: 'its payload was pruned (retention): nothing to sync',
    });
    expect(fx.fake.calls).toEqual([]);
  });

  it('leaves a pruned dead event out of a replay, and prunes dead events only by command, older than asked', async () => {
    const fx = await start();
    const dead = async (callid: string) => {
      const [id] = await fx.receive('yunfu', yunfuBatch([yunfuCall({ callid, number: 'not a phone' })]));
      await fx.worker.processBatch();
      expect((await row(fx, id!)).status).toBe('dead');
      return id!;
    };
    const old = await dead('dead-old');
    fx.clock.advance(91 * DAY_MS);
    const young = await dead('dead-young');
    expect(await fx.pruner.pruneOnce()).toEqual({ pruned: 0, batches: 1 });

    const filter = { before: new Date(fx.clock.now().getTime() - 90 * DAY_MS) };
    expect(await fx.inbox.deadToPruneCount(filter)).toBe(1);
    expect(await fx.inbox.deadToPruneCount({ ...filter, vendor: 'voicefox' })).toBe(0);
    expect(await fx.inbox.pruneDeadPayloads(filter, 500, fx.clock.now())).toBe(1);
    expect(await row(fx, old)).toMatchObject({
      status: 'dead',
      payload: '',
      last_error: null,
      pruned_at: expect.any(String),
    });
    expect((await row(fx, young)).pruned_at).toBeNull();

    expect(await fx.inbox.replayDead({}, fx.clock.now())).toBe(1);
    expect(await fx.inbox.deadPrunedCount({})).toBe(1);
    expect(await row(fx, old)).toMatchObject({ status: 'dead', pruned_at: expect.any(String) });
    expect((await row(fx, young)).status).toBe('pending');
  });
});
