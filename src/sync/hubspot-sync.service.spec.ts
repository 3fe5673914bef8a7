import { afterEach, describe, expect, it } from 'vitest';
import { hubspotFailures, inputRefusal, type FakeHubSpotPort } from '../../test/support/fake-hubspot-port.js';
import { fixture } from '../../test/support/fixtures.js';
import { chinaMobile, e164Of, voicefoxEvent, yunfuBatch, yunfuCall } from '../../test/support/payload-factory.js';
import {
  closeChecked,
  syncFixture,
  type SyncFixture,
  type SyncFixtureOptions,
} from '../../test/support/sync-fixture.js';
import { HubSpotRetryableError } from '../hubspot/hubspot-errors.js';
import type { SyncOutcome } from './hubspot-sync.service.js';
import type { SyncItem, SyncResult } from './sync-plan.js';

let f: SyncFixture | null = null;
afterEach(async () => {
  const done = f;
  f = null;
  await closeChecked(done);
});

/** A fixture whose portal is provisioned, as a running connector's is; `prepare` sets HubSpot up before that. */
async function start(
  options: SyncFixtureOptions & { prepare?: (fake: FakeHubSpotPort) => void } = {},
): Promise<SyncFixture> {
  f = await syncFixture(options);
  options.prepare?.(f.fake);
  await f.provision();
  return f;
}

const yunfu = (callid: string, number: string, more: { intention?: number | string; tags?: string[] } = {}) =>
  yunfuBatch([yunfuCall({ callid, number, ...more })]);

async function syncItems(fx: SyncFixture, items: SyncItem[]): Promise<SyncOutcome> {
  fx.fake.clearCalls();
  return fx.sync.sync(items, fx.settings);
}

/** Syncs one delivery; answers its outcome and the result of its (first) event. */
async function syncOne(
  fx: SyncFixture,
  vendor: 'yunfu' | 'voicefox',
  body: unknown,
): Promise<{ outcome: SyncOutcome; result: SyncResult | undefined }> {
  const items = fx.items(vendor, body);
  const outcome = await syncItems(fx, items);
  return { outcome, result: outcome.results.get(items[0]!.ref) };
}

const synced = (result: SyncResult | undefined): Extract<SyncResult, { kind: 'synced' }> => {
  expect(result?.kind).toBe('synced');
  return result as Extract<SyncResult, { kind: 'synced' }>;
};

describe('HubSpotSyncService: contacts', () => {
  it('creates the contact of a new number once, then logs the next call of that number on it without searching again', async () => {
    const fx = await start();
    const number = chinaMobile(1);
    const first = synced((await syncOne(fx, 'yunfu', yunfu('new-1', number))).result);
    expect(fx.fake.inputsOf('searchContactsByNationalNumber')).toHaveLength(1);
    expect(fx.fake.inputsOf('upsertContacts').flatMap((call) => call.inputs.map((input) => input.id))).toEqual([
      e164Of(number),
    ]);
    expect(fx.fake.listContacts()).toEqual([
      {
        id: first.contactId,
        properties: expect.objectContaining({
          ai_call_phone_e164: e164Of(number),
          phone: e164Of(number),
          city: '晋中',
        }),
      },
    ]);

    const second = synced((await syncOne(fx, 'yunfu', yunfu('new-2', number))).result);
    expect(second.contactId).toBe(first.contactId);
    expect(fx.fake.methods()).not.toContain('searchContactsByNationalNumber');
    expect(fx.fake.methods()).not.toContain('upsertContacts');
    expect(fx.fake.inputsOf('createCalls')[0]!.inputs).toEqual([
      expect.objectContaining({ key: 'yunfu:new-2', contactId: first.contactId }),
    ]);
    expect(fx.fake.listContacts()).toHaveLength(1);
    expect(fx.fake.listCalls().map((call) => call.contactIds)).toEqual([[first.contactId], [first.contactId]]);
  });

  it('logs the call on a contact that exists with the number typed another way, keys it, keeps what sales typed, and creates no contact', async () => {
    const fx = await start();
    const existing = fx.fake.seedContact({ phone: '175 3498 9887', firstname: '李' });
    const result = synced((await syncOne(fx, 'yunfu', fixture('yunfu', 'seed-inbound-success'))).result);
    expect(result.contactId).toBe(existing);
    expect(fx.fake.methods()).not.toContain('upsertContacts');
    expect(fx.fake.inputsOf('updateContacts').flatMap((call) => call.inputs)).toEqual([
      {
        key: '+8617534989887',
        id: existing,
        properties: { city: '晋中', state: '山西', ai_call_phone_e164: '+8617534989887' },
      },
    ]);
    expect(fx.fake.listContacts()).toEqual([
      {
        id: existing,
        properties: {
          phone: '175 3498 9887',
          firstname: '李',
          city: '晋中',
          state: '山西',
          ai_call_phone_e164: '+8617534989887',
        },
      },
    ]);
    expect(fx.fake.listCalls()[0]!.contactIds).toEqual([existing]);
  });

  it('logs the next call of a number whose contact was deleted in HubSpot on a new contact, and forgets the deleted one', async () => {
    const fx = await start();
    const number = chinaMobile(800);
    const first = synced((await syncOne(fx, 'yunfu', yunfu('deleted-1', number))).result);
    fx.fake.deleteContact(first.contactId!);

    const second = synced((await syncOne(fx, 'yunfu', yunfu('deleted-2', number))).result);
    expect(second.contactId).not.toBe(first.contactId);
    // The refused create told the sync to check the contact: read, found gone, resolved again, created again.
    expect(fx.fake.methods().filter((method) => method !== 'contactSearchChunks')).toEqual([
      'createCalls',
      'readObjects',
      'searchContactsByNationalNumber',
      'upsertContacts',
      'updateContacts',
      'createCalls',
    ]);
    expect(fx.fake.listContacts()).toEqual([
      { id: second.contactId, properties: expect.objectContaining({ ai_call_phone_e164: e164Of(number) }) },
    ]);
    expect(
      fx.fake.listCalls().find((call) => call.properties['ai_call_key'] === 'yunfu:deleted-2')!.contactIds,
    ).toEqual([second.contactId]);
    expect((await fx.ledger.contacts([e164Of(number)])).get(e164Of(number))?.contactId).toBe(second.contactId);
  });

  it('logs the next call of a number whose contact was merged into another on the surviving contact', async () => {
    const fx = await start();
    const number = chinaMobile(801);
    const first = synced((await syncOne(fx, 'yunfu', yunfu('merged-1', number))).result);
    const kept = fx.fake.seedContact({ firstname: '李', lastname: '伟' });
    fx.fake.mergeContacts(kept, first.contactId!);

    const second = synced((await syncOne(fx, 'yunfu', yunfu('merged-2', number))).result);
    expect(second.contactId).toBe(kept);
    expect(fx.fake.methods()).not.toContain('upsertContacts');
    expect(fx.fake.listContacts().map((contact) => contact.id)).toEqual([kept]);
    expect(fx.fake.listCalls().map((call) => call.contactIds)).toEqual([[kept], [kept]]);
    expect((await fx.ledger.contacts([e164Of(number)])).get(e164Of(number))?.contactId).toBe(kept);
  });

  it('dead-letters a call without a valid customer number, or logs it without a contact when the mapping says so', async () => {
    const fx = await start();
    const { result } = await syncOne(fx, 'voicefox', fixture('voicefox', 'seed-callin-collect'));
    expect(result).toEqual({
      kind: 'dead',
      reason: 'the call has no valid customer phone number, so no contact to log it on',
    });
    expect(fx.fake.methods()).not.toContain('createCalls');
    fx.fake.assertNoUnexpectedCalls();
    await fx.close();

    const without = await start({ mappingYaml: 'hubspot:\n  callsWithoutPhone: log-without-contact\n' });
    const logged = synced((await syncOne(without, 'voicefox', fixture('voicefox', 'seed-callin-collect'))).result);
    expect(logged.contactId).toBeNull();
    expect(without.fake.inputsOf('createCalls')[0]!.inputs).toEqual([
      expect.objectContaining({ key: 'voicefox:通话ID', contactId: null }),
    ]);
    expect(without.fake.listContacts()).toEqual([]);
  });
});

describe('HubSpotSyncService: one call per vendor call', () => {
  it("updates the same HubSpot call when a later event of the vendor call arrives, carrying both events' data", async () => {
    const fx = await start();
    const first = synced((await syncOne(fx, 'voicefox', voicefoxEvent('callin-collect', 'vf-order-1'))).result);
    const second = synced(
      (
        await syncOne(fx, 'voicefox', {
          ...voicefoxEvent('callin-hangup', 'vf-order-1'),
          event_data: { ...(voicefoxEvent('callin-hangup', 'vf-order-1')['event_data'] as object), billsec: 44 },
        })
      ).result,
    );
    expect(second.callId).toBe(first.callId);
    expect(fx.fake.methods()).not.toContain('createCalls');
    expect(fx.fake.inputsOf('updateCalls')[0]!.inputs.map((input) => input.id)).toEqual([first.callId]);
    const [call] = fx.fake.listCalls();
    expect(fx.fake.listCalls()).toHaveLength(1);
    // The collect event's answers stay; the hangup's talk time is the newer.
    expect(call!.properties['ai_call_answers']).toContain('您对我们的产品感兴趣吗?: 感兴趣');
    expect(call!.properties['hs_call_duration']).toBe('44000');
  });

  it('makes one create for two events of one call in the same batch', async () => {
    const fx = await start();
    const items = [
      ...fx.items('voicefox', voicefoxEvent('callin-hangup', 'vf-both')),
      ...fx.items('voicefox', voicefoxEvent('callin-collect', 'vf-both')),
    ];
    const outcome = await syncItems(fx, items);
    const [a, b] = items.map((item) => synced(outcome.results.get(item.ref)));
    expect(a!.callId).toBe(b!.callId);
    expect(fx.fake.inputsOf('createCalls').flatMap((call) => call.inputs.map((input) => input.key))).toEqual([
      'voicefox:vf-both',
    ]);
    expect(fx.fake.listCalls()[0]!.properties).toMatchObject({
      ai_call_intention: 'A',
      ai_call_summary: '客户对产品感兴趣，希望销售回电介绍价格。',
    });
  });

  it('logs a call again when HubSpot no longer has the call the ledger named (deleted there)', async () => {
    const fx = await start();
    const first = synced((await syncOne(fx, 'yunfu', yunfu('gone-1', chinaMobile(5)))).result);
    fx.fake.deleteCall(first.callId);
    const again = synced((await syncOne(fx, 'yunfu', yunfu('gone-1', chinaMobile(5), { intention: 2 }))).result);
    expect(again.callId).not.toBe(first.callId);
    expect(fx.fake.methods().filter((method) => method === 'updateCalls' || method === 'createCalls')).toEqual([
      'updateCalls',
      'createCalls',
    ]);
    expect(fx.fake.listCalls()).toEqual([
      expect.objectContaining({
        id: again.callId,
        properties: expect.objectContaining({ ai_call_key: 'yunfu:gone-1', ai_call_intention: 'B' }),
      }),
    ]);
  });
});

describe('HubSpotSyncService: failures', () => {
  it('does not send a create again blindly when its outcome is unknown: the call waits, is looked up, and what HubSpot holds is updated', async () => {
    const fx = await start();
    fx.fake.allow('searchCallsByKey').failNext('createCalls', hubspotFailures.outcomeUnknown(), { applyFirst: true });
    const first = await syncOne(fx, 'yunfu', yunfu('unknown-1', chinaMobile(6)));
    expect(first.outcome.interruption).toBeNull();
    expect(first.result).toMatchObject({
      kind: 'wait',
      notBefore: new Date(fx.clock.now().getTime() + fx.env.hubspot.searchLagMs),
    });
    expect((await fx.ledger.calls(['yunfu:unknown-1'])).get('yunfu:unknown-1')).toMatchObject({
      state: 'creating',
      create_tries: 1,
    });

    fx.clock.advance(fx.env.hubspot.searchLagMs);
    const second = synced((await syncOne(fx, 'yunfu', yunfu('unknown-1', chinaMobile(6)))).result);
    expect(fx.fake.methods()).toContain('searchCallsByKey');
    expect(fx.fake.methods()).not.toContain('createCalls');
    expect(fx.fake.listCalls()).toEqual([expect.objectContaining({ id: second.callId })]);
    expect((await fx.ledger.calls(['yunfu:unknown-1'])).get('yunfu:unknown-1')).toMatchObject({
      state: 'synced',
      call_id: second.callId,
    });
  });

  it("waits rather than creates while a lookup that misses could be HubSpot's search lagging, and creates once the lag has passed", async () => {
    const fx = await start();
    fx.fake.allow('searchCallsByKey');
    const intentAt = new Date(fx.clock.now().getTime() - 10_000);
    await fx.ledger.markCreating(['yunfu:lag-1'], intentAt);

    const early = await syncOne(fx, 'yunfu', yunfu('lag-1', chinaMobile(7)));
    expect(early.result).toEqual({
      kind: 'wait',
      reason: 'an earlier create of this call is unconfirmed; waiting for HubSpot search to catch up',
      notBefore: new Date(intentAt.getTime() + fx.env.hubspot.searchLagMs),
    });
    expect(fx.fake.methods()).toContain('searchCallsByKey');
    expect(fx.fake.methods()).not.toContain('createCalls');

    fx.clock.set(new Date(intentAt.getTime() + fx.env.hubspot.searchLagMs));
    const late = synced((await syncOne(fx, 'yunfu', yunfu('lag-1', chinaMobile(7)))).result);
    expect(fx.fake.inputsOf('searchCallsByKey')).toHaveLength(1);
    expect(fx.fake.inputsOf('createCalls').flatMap((call) => call.inputs.map((input) => input.key))).toEqual([
      'yunfu:lag-1',
    ]);
    expect(fx.fake.listCalls().map((call) => call.id)).toEqual([late.callId]);
  });

  it("after a takeover, trusts a miss for an earlier leader's unconfirmed create only once that leader's requests surely ended and search caught up", async () => {
    const fx = await start();
    fx.fake.allow('searchCallsByKey');
    // The earlier leader marked the create long ago (far more than the search lag), then may have sent it as late
    // as its lease deadline; this instance took over just now.
    await fx.ledger.markCreating(['yunfu:takeover-1'], new Date(fx.clock.now().getTime() - 60_000));
    const earlierLeadersDoneAt = fx.clock.now().getTime() + fx.env.hubspot.requestTimeoutMs;
    const trustAt = new Date(earlierLeadersDoneAt + fx.env.hubspot.searchLagMs);
    const pass = async () => {
      const items = fx.items('yunfu', yunfu('takeover-1', chinaMobile(9)));
      fx.fake.clearCalls();
      return (await fx.sync.sync(items, fx.settings, { earlierLeadersDoneAt })).results.get(items[0]!.ref);
    };

    expect(await pass()).toEqual({
      kind: 'wait',
      reason: 'an earlier create of this call is unconfirmed; waiting for HubSpot search to catch up',
      notBefore: trustAt,
    });
    expect(fx.fake.methods()).not.toContain('createCalls');

    fx.clock.set(trustAt);
    synced(await pass());
    expect(fx.fake.inputsOf('createCalls').flatMap((call) => call.inputs.map((input) => input.key))).toEqual([
      'yunfu:takeover-1',
    ]);
  });

  it('updates the call an unconfirmed create left in HubSpot (a crash between its answer and the ledger) instead of creating another', async () => {
    const fx = await start();
    fx.fake.allow('searchCallsByKey');
    const left = fx.fake.seedCall({ ai_call_key: 'yunfu:crash-1' });
    await fx.ledger.markCreating(['yunfu:crash-1'], fx.clock.now());
    const result = synced((await syncOne(fx, 'yunfu', yunfu('crash-1', chinaMobile(8)))).result);
    expect(result.callId).toBe(left);
    expect(fx.fake.methods()).not.toContain('createCalls');
    expect(fx.fake.listCalls()).toEqual([
      expect.objectContaining({ id: left, properties: expect.objectContaining({ hs_call_duration: '43000' }) }),
    ]);
  });

  it("fails only the call HubSpot refuses, with HubSpot's reason, and writes the rest of the batch", async () => {
    const fx = await start({
      mappingYaml: 'call:\n  properties:\n    - { source: intention.label, property: sales_grade, mode: overwrite }\n',
      prepare: (fake) =>
        fake.defineProperty('calls', {
          name: 'sales_grade',
          label: 'Grade',
          type: 'enumeration',
          fieldType: 'select',
          options: [{ label: 'A', value: 'A' }],
        }),
    });
    const items = [0, 1, 2, 3, 4].flatMap((index) =>
      fx.items('yunfu', yunfu(`grade-${index}`, chinaMobile(10 + index), { intention: index === 2 ? 'Z' : 'A' })),
    );
    const outcome = await syncItems(fx, items);
    expect(outcome.interruption).toBeNull();
    const results = items.map((item) => outcome.results.get(item.ref));
    expect(results.map((result) => result?.kind)).toEqual(['synced', 'synced', 'dead', 'synced', 'synced']);
    expect(results[2]).toEqual({
      kind: 'dead',
      reason: expect.stringMatching(
        /^HubSpot refused the call: .*Z was not one of the allowed options for sales_grade.* \(VALIDATION_ERROR, status 400, correlation id corr-input\)$/,
      ),
    });
    expect(
      fx.fake
        .listCalls()
        .map((call) => call.properties['ai_call_key'])
        .sort(),
    ).toEqual(['yunfu:grade-0', 'yunfu:grade-1', 'yunfu:grade-3', 'yunfu:grade-4']);
    // An option of the admin's own property: nothing the sync could heal, so nothing was looked at again.
    expect(fx.fake.methods()).not.toContain('readObjects');
    expect(fx.fake.inputsOf('createCalls')).toHaveLength(1);
  });

  it('writes a call again after an admin removed the option the connector had added for its tag', async () => {
    const fx = await start();
    synced((await syncOne(fx, 'yunfu', yunfu('option-1', chinaMobile(40), { tags: ['回电'] }))).result);
    fx.fake.setOptions('calls', 'ai_call_tags', []);
    const result = synced((await syncOne(fx, 'yunfu', yunfu('option-2', chinaMobile(41), { tags: ['回电'] }))).result);
    expect(fx.fake.inputsOf('createCalls')).toHaveLength(2);
    expect(fx.fake.inputsOf('updatePropertyOptions').map((call) => call.values)).toContainEqual(['回电']);
    expect(fx.fake.listCalls().find((call) => call.id === result.callId)!.properties['ai_call_tags']).toBe('回电');
  });

  it('ends the pass on an outage, handing back every call not written, with nothing left to look up', async () => {
    const fx = await start();
    const outage = hubspotFailures.outage();
    fx.fake.failNext('createCalls', outage);
    const items = [0, 1, 2].flatMap((index) => fx.items('yunfu', yunfu(`outage-${index}`, chinaMobile(20 + index))));
    const outcome = await syncItems(fx, items);
    expect(outcome.interruption).toBe(outage);
    expect(outcome.results.size).toBe(0);
    expect(fx.fake.listCalls()).toEqual([]);
    // HubSpot surely created nothing: no intent is left that would need a lookup.
    expect(await fx.ledger.calls(items.map((item) => `yunfu:${item.record.vendorCallId}`))).toEqual(new Map());

    // Sent again unchanged (searchCallsByKey is not allowed: a lookup would fail this test).
    const again = await syncItems(fx, items);
    expect(items.map((item) => again.results.get(item.ref)?.kind)).toEqual(['synced', 'synced', 'synced']);
    expect(fx.fake.listCalls()).toHaveLength(3);
  });

  it('settles the calls written before an outage and hands back only those after it', async () => {
    const fx = await start();
    const outage = hubspotFailures.outage();
    // The second create request (the last 50 of 150 calls) meets the outage.
    fx.fake.failNext('createCalls', (input) => (input.inputs.length === 50 ? outage : null));
    const items = Array.from({ length: 150 }, (_, index) =>
      fx.items('yunfu', yunfu(`part-${index}`, chinaMobile(100 + (index % 3)))),
    ).flat();
    const outcome = await syncItems(fx, items);
    expect(outcome.interruption).toBe(outage);
    expect(fx.fake.inputsOf('createCalls').map((call) => call.inputs.length)).toEqual([100, 50]);
    expect(outcome.results.size).toBe(100);
    expect([...outcome.results.values()].every((result) => result.kind === 'synced')).toBe(true);
    expect(fx.fake.listCalls()).toHaveLength(100);
  });

  it('gives up a pass on an outage of contact search without writing any call', async () => {
    const fx = await start();
    fx.fake.failNext('searchContactsByNationalNumber', hubspotFailures.outage());
    const { outcome } = await syncOne(fx, 'yunfu', yunfu('search-outage', chinaMobile(30)));
    expect(outcome.interruption).toBeInstanceOf(HubSpotRetryableError);
    expect(outcome.results.size).toBe(0);
    expect(fx.fake.methods()).not.toContain('upsertContacts');
    expect(fx.fake.methods()).not.toContain('createCalls');
  });
});

describe('HubSpotSyncService: update-only events and unconfirmed creates', () => {
  it('keeps the data of an update-only event that arrives while the create of its call is unconfirmed', async () => {
    const fx = await start({
      mappingYaml:
        'vendors:\n  voicefox:\n    events:\n      create: [callin.collect]\n      update: [callin.hangup]\n',
    });
    fx.fake.allow('searchCallsByKey').failNext('createCalls', hubspotFailures.outcomeUnknown(), { applyFirst: true });
    // The collect carries no recording; the hangup, which may only update, brings it.
    const collectBody = voicefoxEvent('callin-collect', 'vf-lost');
    const withoutRecording = {
      ...collectBody,
      event_data: { ...(collectBody['event_data'] as object), record_url: null },
    };
    const collect = fx.items('voicefox', withoutRecording);
    expect((await fx.sync.sync(collect, fx.settings)).results.get(collect[0]!.ref)?.kind).toBe('wait');

    const hangupBody = voicefoxEvent('callin-hangup', 'vf-lost');
    const recording = 'https://media.voicefox.example/records/late.mp3';
    const hangup = fx.items('voicefox', {
      ...hangupBody,
      event_data: { ...(hangupBody['event_data'] as object), record_url: recording },
    });
    expect((await fx.sync.sync(hangup, fx.settings)).results.get(hangup[0]!.ref)).toMatchObject({
      kind: 'skipped',
      reason: 'kept for the event that creates the call (this event only updates)',
    });

    // The collect is tried again once search has caught up: the call is found and updated, with the hangup's data.
    fx.clock.advance(fx.env.hubspot.searchLagMs);
    const again = fx.items('voicefox', withoutRecording);
    expect((await fx.sync.sync(again, fx.settings)).results.get(again[0]!.ref)?.kind).toBe('synced');
    expect(fx.fake.listCalls()).toHaveLength(1);
    expect(fx.fake.listCalls()[0]!.properties['hs_call_recording_url']).toBe(recording);
  });

  it('times the wait of an input whose part in a whole-batch refusal is unknown by the injected clock', async () => {
    const fx = await start();
    fx.fake.refuseInputs('createCalls', () =>
      inputRefusal({ retryable: true, unresolved: true, message: 'refused as a whole' }),
    );
    const items = fx.items('yunfu', yunfu('u-1', chinaMobile(1)));
    const outcome = await fx.sync.sync(items, fx.settings);
    expect(outcome.results.get(items[0]!.ref)).toMatchObject({
      kind: 'wait',
      notBefore: new Date(fx.clock.now().getTime() + 5_000),
    });
  });
});
