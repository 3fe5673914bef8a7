import { afterEach, describe, expect, it, vi } from 'vitest';
import { hubspotFailures, inputRefusal } from '../../test/support/fake-hubspot-port.js';
import { fixture } from '../../test/support/fixtures.js';
import { chinaMobile, e164Of, voicefoxEvent, yunfuBatch, yunfuCall } from '../../test/support/payload-factory.js';
import {
  closeChecked,
  syncFixture,
  type SyncFixture,
  type SyncFixtureOptions,
} from '../../test/support/sync-fixture.js';
import type { HubSpotSyncState } from '../hubspot/hubspot-status.js';
import type { InboxEventRow } from '../store/inbox.repository.js';
import { NotLeadingError } from '../common/app-error.js';
import { DEFAULT_PORTAL } from '../config/portal.js';

let f: SyncFixture | null = null;
afterEach(async () => {
  const done = f;
  f = null;
  await closeChecked(done);
});

async function start(options: SyncFixtureOptions = {}): Promise<SyncFixture> {
  f = await syncFixture(options);
  await f.provision();
  return f;
}

const yunfu = (callid: string, number: string) => yunfuBatch([yunfuCall({ callid, number })]);

async function row(fx: SyncFixture, id: number): Promise<InboxEventRow> {
  const found = (await fx.inbox.list()).find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no inbox event ${id}`);
  return found;
}

/** Polls (every 10 ms, real time) until `condition` holds; fails after `timeoutMs`. */
async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The states health went through, in order, from now on. */
function watchStates(fx: SyncFixture): HubSpotSyncState[] {
  const states: HubSpotSyncState[] = [];
  const set = fx.status.set.bind(fx.status);
  vi.spyOn(fx.status, 'set').mockImplementation((state, reason, nextProbeAt) => {
    if (states.at(-1) !== state) states.push(state);
    set(state, reason, nextProbeAt);
  });
  return states;
}

/** A per-input refusal HubSpot itself would retry (an internal error): the event retries, counting an attempt. */
const internalError = inputRefusal({
  message: 'HubSpot had an internal error with this input',
  retryable: true,
  status: null,
  category: 'INTERNAL_ERROR',
});

describe('InboxWorker: settling a batch', () => {
  it("records each event's outcome: synced with its HubSpot ids, skipped with why, dead with the payload's problem", async () => {
    const fx = await start();
    const [synced] = await fx.receive('yunfu', fixture('yunfu', 'seed-inbound-success'));
    const [skipped] = await fx.receive('voicefox', fixture('voicefox', 'unknown-event'));
    const bad = await fx.receive('yunfu', fixture('yunfu', 'batch-one-bad'));
    expect(await fx.worker.processBatch()).toBe(2 + bad.length);

    const [contact] = fx.fake.listContacts();
    const [call] = fx.fake.listCalls();
    expect(await row(fx, synced!)).toMatchObject({
      status: 'synced',
      hubspot_contact_id: contact!.id,
      hubspot_call_id: call!.id,
      attempts: 0,
      last_error: null,
      lease_until: null,
    });
    expect(JSON.parse((await row(fx, synced!)).records!)).toEqual([
      expect.objectContaining({ vendorCallId: '3e7ff3fb-2e65-4a51-b322-a01db56f8a90' }),
    ]);
    expect(await row(fx, skipped!)).toMatchObject({
      status: 'skipped',
      last_error: expect.stringContaining('agent.note.created'),
    });
    const dead = (await fx.inbox.list({ status: 'dead' })).map((event) => event.id);
    expect(dead).toHaveLength(1);
    expect(bad).toContain(dead[0]);
    expect(await row(fx, dead[0]!)).toMatchObject({ last_error: expect.stringMatching(/^invalid payload: /) });
    expect(await fx.inbox.countByStatus()).toMatchObject({
      pending: 0,
      processing: 0,
      synced: bad.length,
      skipped: 1,
      dead: 1,
    });
  });

  it("counts an attempt for a call that failed, and none for one that waits for HubSpot's search", async () => {
    const fx = await start();
    fx.fake.refuseInputs('createCalls', (input) => (input.key === 'yunfu:retry-1' ? internalError : null));
    fx.fake.failNext('createCalls', (input) =>
      input.inputs.some((call) => call.key === 'yunfu:wait-1') ? hubspotFailures.outcomeUnknown() : null,
    );
    const [retry] = await fx.receive('yunfu', yunfu('retry-1', chinaMobile(1)));
    await fx.worker.processBatch();
    const [wait] = await fx.receive('yunfu', yunfu('wait-1', chinaMobile(2)));
    await fx.worker.processBatch();

    expect(await row(fx, retry!)).toMatchObject({
      status: 'retrying',
      attempts: 1,
      last_error:
        'HubSpot refused the call: HubSpot had an internal error with this input (INTERNAL_ERROR, correlation id corr-input)',
    });
    expect(await row(fx, wait!)).toMatchObject({
      status: 'retrying',
      attempts: 0,
      next_attempt_at: new Date(fx.clock.now().getTime() + fx.env.hubspot.searchLagMs).toISOString(),
    });
  });

  it('backs a failing event off from the base wait, doubling per attempt up to 15 minutes, and dead-letters it after the last attempt', async () => {
    const fx = await start({ env: { SYNC_RETRY_BASE_MS: '300000', SYNC_MAX_ATTEMPTS: '4' } });
    fx.fake.refuseInputs('createCalls', () => internalError);
    const [id] = await fx.receive('yunfu', yunfu('backoff-1', chinaMobile(3)));
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await fx.worker.processBatch();
      const event = await row(fx, id!);
      expect(event).toMatchObject({ status: 'retrying', attempts: attempt });
      waits.push(Date.parse(event.next_attempt_at!) - fx.clock.now().getTime());
      // Not due before its time.
      expect(await fx.worker.processBatch()).toBe(0);
      fx.clock.set(event.next_attempt_at!);
    }
    // Each wait is the backoff with jitter: between half of it and all of it (5 min, 10 min, then the 15 min cap).
    const windows = [300_000, 600_000, 900_000].map((backoff) => [backoff / 2, backoff]);
    waits.forEach((wait, index) => {
      expect(wait).toBeGreaterThanOrEqual(windows[index]![0]!);
      expect(wait).toBeLessThanOrEqual(windows[index]![1]!);
    });
    await fx.worker.processBatch();
    expect(await row(fx, id!)).toMatchObject({
      status: 'dead',
      attempts: 4,
      last_error:
        'gave up after 4 attempts: HubSpot refused the call: HubSpot had an internal error with this input (INTERNAL_ERROR, correlation id corr-input)',
    });
    expect(fx.fake.inputsOf('createCalls')).toHaveLength(4);
  });

  it('dead-letters at once a call HubSpot refuses for good, whatever attempts are left', async () => {
    const fx = await start();
    fx.fake.refuseInputs('createCalls', () =>
      inputRefusal({
        message: 'Property values were not valid',
        codes: ['INVALID_OPTION'],
        properties: ['sales_grade'],
      }),
    );
    const [id] = await fx.receive('yunfu', yunfu('refused-1', chinaMobile(4)));
    await fx.worker.processBatch();
    expect(await row(fx, id!)).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error:
        'HubSpot refused the call: Property values were not valid (VALIDATION_ERROR, status 400, correlation id corr-input)',
    });
  });

  it("stores HubSpot's refusal with the call's phone number and name masked", async () => {
    const fx = await start();
    const number = chinaMobile(77);
    fx.fake.refuseInputs('createCalls', () =>
      inputRefusal({
        message: `${e164Of(number)} (李伟) was not one of the allowed options`,
        codes: ['INVALID_OPTION'],
        properties: ['sales_grade'],
      }),
    );
    const [id] = await fx.receive(
      'yunfu',
      yunfuBatch([
        {
          ...yunfuCall({ callid: 'masked-1', number }),
          customer_data: { name: '李伟', email: null, company: null, extra: null },
        },
      ]),
    );
    await fx.worker.processBatch();
    const stored = (await row(fx, id!)).last_error!;
    expect(stored).toMatch(/^HubSpot refused the call: .* was not one of the allowed options/);
    expect(stored).not.toContain(number);
    expect(stored).not.toContain('李伟');
  });
});

describe('InboxWorker: one failing event', () => {
  it('isolates an event whose sync throws: the others sync, it counts an attempt (dead at the limit), and health names it by id', async () => {
    const fx = await start({ env: { SYNC_MAX_ATTEMPTS: '1' } });
    const poison = chinaMobile(99);
    fx.fake.failNext(
      'searchContactsByNationalNumber',
      (input) => (input.nationalNumbers.includes(poison) ? new TypeError('a bug met by one odd event') : null),
      { times: Number.POSITIVE_INFINITY },
    );
    const ids: number[] = [];
    for (let index = 0; index < 6; index++)
      ids.push(...(await fx.receive('yunfu', yunfu(`event-${index}`, index === 3 ? poison : chinaMobile(90 + index)))));
    await fx.worker.processBatch();

    const poisoned = ids[3]!;
    expect(await row(fx, poisoned)).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: 'gave up after 1 attempts: sync failed for this event: a bug met by one odd event',
    });
    for (const id of ids.filter((candidate) => candidate !== poisoned))
      expect((await row(fx, id)).status).toBe('synced');
    expect(fx.fake.listCalls()).toHaveLength(5);
    expect(fx.status.get().failingEvents).toEqual([
      { eventId: poisoned, error: 'TypeError', since: expect.any(String) },
    ]);
    expect(fx.status.get().state).toBe('ok');
  });
});

describe('InboxWorker: pauses', () => {
  it('hands a batch back after an outage without counting attempts, for twice its growing pause, and syncs it when HubSpot answers', async () => {
    const fx = await start();
    fx.fake.failNext('createCalls', hubspotFailures.outage(), { times: 2 });
    const [id] = await fx.receive('yunfu', yunfu('outage-1', chinaMobile(5)));

    await fx.worker.processBatch();
    expect(fx.status.get()).toMatchObject({
      state: 'unavailable',
      reason: 'HubSpot answered 503 (service unavailable)',
    });
    expect(await row(fx, id!)).toMatchObject({
      status: 'retrying',
      attempts: 0,
      next_attempt_at: new Date(fx.clock.now().getTime() + 2_000).toISOString(),
    });
    expect(await fx.worker.processBatch()).toBe(0);

    fx.clock.advance(2_000);
    await fx.worker.processBatch();
    // The second outage in a row: the pause doubles.
    expect(await row(fx, id!)).toMatchObject({
      status: 'retrying',
      attempts: 0,
      next_attempt_at: new Date(fx.clock.now().getTime() + 4_000).toISOString(),
    });

    fx.clock.advance(4_000);
    await fx.worker.processBatch();
    expect(await row(fx, id!)).toMatchObject({ status: 'synced', attempts: 0 });
    expect(fx.status.get().state).toBe('ok');
  });

  it('pauses on the daily limit, probes until HubSpot takes requests again, then syncs the events with no attempt counted', async () => {
    const fx = await start();
    fx.fake.allow('checkAccess', 'probe');
    fx.fake.failNext('createCalls', hubspotFailures.dailyLimit());
    fx.fake.failNext('probe', hubspotFailures.dailyLimit());
    const states = watchStates(fx);
    const [id] = await fx.receive('yunfu', yunfu('daily-1', chinaMobile(6)));

    fx.worker.onApplicationBootstrap();
    await until(async () => (await row(fx, id!)).status === 'synced');
    expect(states).toEqual(['ok', 'paused-daily-limit', 'ok']);
    expect(fx.fake.inputsOf('probe')).toHaveLength(2);
    expect(await row(fx, id!)).toMatchObject({ attempts: 0 });
    expect(fx.fake.listCalls()).toHaveLength(1);
  });

  it('stops when HubSpot refuses the token during sync, checks access until it is fixed, then syncs with no attempt counted', async () => {
    const fx = await start();
    fx.fake.allow('checkAccess', 'probe');
    fx.fake.failNext('createCalls', hubspotFailures.tokenRevoked());
    // The first check is at start; the second, after the refusal, still fails.
    fx.fake.failNext('checkAccess', () =>
      fx.fake.inputsOf('checkAccess').length === 2 ? hubspotFailures.tokenRevoked() : null,
    );
    const states = watchStates(fx);
    const [id] = await fx.receive('yunfu', yunfu('auth-1', chinaMobile(7)));

    fx.worker.onApplicationBootstrap();
    await until(async () => (await row(fx, id!)).status === 'synced');
    expect(states).toEqual(['ok', 'auth-failed', 'ok']);
    expect(fx.fake.inputsOf('checkAccess').length).toBeGreaterThanOrEqual(3);
    expect(await row(fx, id!)).toMatchObject({ attempts: 0 });
  });

  it('names a scope the token lacks, writes nothing until it is granted, then syncs', async () => {
    const fx = await start();
    fx.fake.allow('checkAccess');
    fx.fake.missingScopes = ['crm.schemas.contacts.write'];
    const [id] = await fx.receive('yunfu', yunfu('scope-1', chinaMobile(8)));

    fx.worker.onApplicationBootstrap();
    await until(() => fx.fake.inputsOf('checkAccess').length >= 2);
    expect(fx.status.get()).toMatchObject({
      state: 'auth-failed',
      reason: expect.stringMatching(/^the HubSpot token lacks the scope crm\.schemas\.contacts\.write: /),
    });
    expect(fx.fake.methods().every((method) => method === 'checkAccess')).toBe(true);
    expect((await row(fx, id!)).status).toBe('pending');

    fx.fake.missingScopes = [];
    await until(async () => (await row(fx, id!)).status === 'synced');
    expect(fx.status.get().state).toBe('ok');
  });

  it("pauses as misconfigured when a property of the admin's mapping is deleted, dead-letters nothing, and resumes once it is back", async () => {
    const script = { name: 'sales_script', label: 'Script', type: 'string', fieldType: 'text' } as const;
    f = await syncFixture({
      mappingYaml: 'call:\n  properties:\n    - { source: campaign.name, property: sales_script, mode: overwrite }\n',
    });
    const fx = f;
    fx.fake.defineProperty('calls', script);
    await fx.provision();
    fx.fake.allow('checkAccess');
    fx.fake.deleteProperty('calls', 'sales_script');
    const [id] = await fx.receive('yunfu', yunfu('mapped-1', chinaMobile(9)));

    fx.worker.onApplicationBootstrap();
    await until(() => fx.status.get().state === 'misconfigured');
    expect(fx.status.get().reason).toContain('HubSpot has no call property "sales_script"');
    expect(await row(fx, id!)).toMatchObject({ status: 'pending', attempts: 0 });

    fx.fake.defineProperty('calls', script);
    await until(async () => (await row(fx, id!)).status === 'synced');
    expect(await row(fx, id!)).toMatchObject({ attempts: 0 });
    expect(fx.fake.listCalls()[0]!.properties['sales_script']).toBe('cky呼入任务测试');
    expect(fx.status.get().state).toBe('ok');
  });
});

describe('InboxWorker: the events it maps', () => {
  it('syncs the calls of a VoiceFox event and a Yunfu batch claimed together in one pass of the sync', async () => {
    const fx = await start();
    const ids = [
      ...(await fx.receive('voicefox', voicefoxEvent('callin-collect', 'vf-together'))),
      ...(await fx.receive(
        'yunfu',
        yunfuBatch([
          yunfuCall({ callid: 'together-1', number: chinaMobile(10) }),
          yunfuCall({ callid: 'together-2', number: chinaMobile(11) }),
        ]),
      )),
    ];
    expect(await fx.worker.processBatch()).toBe(3);
    for (const id of ids) expect((await row(fx, id)).status).toBe('synced');
    expect(fx.fake.inputsOf('createCalls')).toHaveLength(1);
    expect(
      fx.fake
        .inputsOf('createCalls')[0]!
        .inputs.map((input) => input.key)
        .sort(),
    ).toEqual(['voicefox:vf-together', 'yunfu:together-1', 'yunfu:together-2']);
  });
});

describe('InboxWorker: the sync lease ends mid-batch', () => {
  it("stops the batch without counting attempts or pausing, and the next leader finds the create the old one's cut-off request left, so the call exists once", async () => {
    const fx = await start();
    const states = watchStates(fx);
    const [id] = await fx.receive('yunfu', yunfu('handover-1', chinaMobile(31)));
    const ttl = 1_000;
    const a = await fx.leases.acquire(DEFAULT_PORTAL, 'a', ttl, fx.clock.now());
    // HubSpot applies a's create, but a's lease deadline cuts the request off before the answer (the send gate).
    fx.fake.failNext('createCalls', new NotLeadingError('epoch 1: the lease deadline passed'), { applyFirst: true });
    await expect(fx.worker.processBatch(a!.epoch)).rejects.toBeInstanceOf(NotLeadingError);
    expect(fx.fake.inputsOf('createCalls')).toHaveLength(1);
    expect(await row(fx, id!)).toMatchObject({ status: 'processing', attempts: 0, lease_epoch: a!.epoch });
    expect(states).toEqual([]);

    // b takes over once a's lease ran out (on PostgreSQL, by the server's clock), hands a's events back, and syncs.
    fx.clock.advance(ttl + 1);
    await new Promise((resolve) => setTimeout(resolve, ttl + 50));
    const b = await fx.leases.acquire(DEFAULT_PORTAL, 'b', 60_000, fx.clock.now());
    // a's writes (under its epoch) are fenced off from now on.
    fx.fence.hold({ portalId: DEFAULT_PORTAL, epoch: a!.epoch });
    await expect(fx.inbox.complete(id!, 1, { status: 'dead', error: 'x' }, fx.clock.now())).rejects.toBeInstanceOf(
      NotLeadingError,
    );
    fx.fence.hold({ portalId: DEFAULT_PORTAL, epoch: b!.epoch });
    expect(await fx.inbox.releaseOrphans(fx.clock.now(), b!.epoch)).toBe(1);
    fx.fake.allow('searchCallsByKey');
    await fx.worker.processBatch(b!.epoch);
    expect(await row(fx, id!)).toMatchObject({ status: 'synced' });
    expect(fx.fake.listCalls()).toHaveLength(1);
    expect(fx.fake.inputsOf('createCalls')).toHaveLength(1);
  });
});
