import { afterEach, describe, expect, it } from 'vitest';
import { closeChecked, syncFixture, type SyncFixture } from '../../test/support/sync-fixture.js';
import { yunfuBatch, yunfuCall, chinaMobile } from '../../test/support/payload-factory.js';
import { NotLeadingError } from '../common/app-error.js';
import { DEFAULT_PORTAL } from '../config/portal.js';

/**
 * The sync path's store writes are fenced by the sync lease's epoch (on SQLite here, on PostgreSQL under
 * TEST_STORE=postgres): an instance whose lease was taken over, or ran out, writes nothing more.
 */
let f: SyncFixture | null = null;
afterEach(async () => {
  const done = f;
  f = null;
  await closeChecked(done);
});

const TTL = 10_000;
const SHORT_TTL = 1_000;

describe('SyncFence', () => {
  it('lets the holder of the lease write, and refuses every sync write once another instance took the lease over', async () => {
    f = await syncFixture();
    const [id] = await f.receive('yunfu', yunfuBatch([yunfuCall({ callid: 'fence-1', number: chinaMobile(1) })]));
    // A short lease: PostgreSQL judges expiry on its own clock, SQLite on the fixture's.
    const mine = await f.leases.acquire(DEFAULT_PORTAL, 'a', SHORT_TTL, f.clock.now());
    f.fence.hold({ portalId: DEFAULT_PORTAL, epoch: mine!.epoch });

    // Held: writes land.
    const [claimed] = await f.inbox.claim(10, 60_000, f.clock.now(), mine!.epoch);
    expect(claimed?.id).toBe(id);
    await f.ledger.markCreating(['yunfu:fence-1'], f.clock.now());
    expect((await f.ledger.calls(['yunfu:fence-1'])).get('yunfu:fence-1')?.state).toBe('creating');

    // The lease runs out and instance b takes it (epoch + 1): each of a's sync writes is refused, and changes nothing.
    f.clock.advance(SHORT_TTL + 1);
    await new Promise((resolve) => setTimeout(resolve, SHORT_TTL + 50));
    const theirs = await f.leases.acquire(DEFAULT_PORTAL, 'b', TTL, f.clock.now());
    expect(theirs!.epoch).toBe(mine!.epoch + 1);
    const refusals = [
      () => f!.ledger.saveCalls([{ key: 'yunfu:fence-1', callId: '1', contactId: null, record: {} }], f!.clock.now()),
      () => f!.ledger.markCreating(['yunfu:fence-2'], f!.clock.now()),
      () => f!.ledger.saveDeferred([{ key: 'yunfu:fence-3', record: {} }], f!.clock.now()),
      () => f!.ledger.clearIntents(['yunfu:fence-1']),
      () => f!.ledger.forgetCalls(['yunfu:fence-1']),
      () =>
        f!.ledger.saveContacts(
          [{ e164: '+8613800000001', contactId: '9', origin: 'created', filled: new Set() }],
          f!.clock.now(),
        ),
      () => f!.ledger.forgetContacts(['+8613800000001']),
      () =>
        f!.inbox.completeAll(
          [{ id: id!, revision: 1, outcome: { status: 'synced', records: [], contactId: null, callId: '1' } }],
          f!.clock.now(),
        ),
      () => f!.inbox.complete(id!, 1, { status: 'dead', error: 'x' }, f!.clock.now()),
      () => f!.inbox.release([id!], f!.clock.now()),
      () => f!.inbox.claim(10, 60_000, f!.clock.now(), mine!.epoch),
      () => f!.inbox.releaseOrphans(f!.clock.now(), mine!.epoch),
    ];
    for (const write of refusals) await expect(write()).rejects.toBeInstanceOf(NotLeadingError);
    const calls = await f.ledger.calls(['yunfu:fence-1', 'yunfu:fence-2', 'yunfu:fence-3']);
    expect([...calls.keys()]).toEqual(['yunfu:fence-1']);
    expect(calls.get('yunfu:fence-1')).toMatchObject({ state: 'creating', call_id: null });
    expect(await f.ledger.contacts(['+8613800000001'])).toEqual(new Map());
    const row = (await f.inbox.list()).find((candidate) => candidate.id === id);
    expect(row).toMatchObject({ status: 'processing', lease_epoch: mine!.epoch });

    // The new holder's writes go through; it hands back what a claimed.
    f.fence.hold({ portalId: DEFAULT_PORTAL, epoch: theirs!.epoch });
    expect(await f.inbox.releaseOrphans(f.clock.now(), theirs!.epoch)).toBe(1);
  });

  it('refuses a batch begun under an earlier epoch even when the same instance leads again', async () => {
    f = await syncFixture();
    const first = await f.leases.acquire(DEFAULT_PORTAL, 'a', TTL, f.clock.now());
    f.fence.hold({ portalId: DEFAULT_PORTAL, epoch: first!.epoch });
    await f.ledger.markCreating(['yunfu:again-1'], f.clock.now());
    // The same instance takes the lease again (after a restart, or a lead it gave up at its deadline): a new epoch.
    const again = await f.leases.acquire(DEFAULT_PORTAL, 'a', TTL, f.clock.now());
    expect(again!.epoch).toBe(first!.epoch + 1);
    await expect(f.ledger.markCreating(['yunfu:again-2'], f.clock.now())).rejects.toBeInstanceOf(NotLeadingError);
    f.fence.hold({ portalId: DEFAULT_PORTAL, epoch: again!.epoch });
    await f.ledger.markCreating(['yunfu:again-2'], f.clock.now());
    expect([...(await f.ledger.calls(['yunfu:again-1', 'yunfu:again-2'])).keys()].sort()).toEqual([
      'yunfu:again-1',
      'yunfu:again-2',
    ]);
  });

  it('does not fence when no lease is held (command-line tools, one repository on its own)', async () => {
    f = await syncFixture();
    await f.ledger.markCreating(['yunfu:tool-1'], f.clock.now());
    expect((await f.ledger.calls(['yunfu:tool-1'])).size).toBe(1);
  });
});
