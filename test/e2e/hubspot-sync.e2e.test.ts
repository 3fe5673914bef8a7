import { HubSpotEmulator, type SnapshotObject } from '@ai-call-hubspot-connector/hubspot-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerRepository } from '../../src/store/ledger.repository.js';
import { fixture } from '../support/fixtures.js';
import { chinaMobile, e164Of, voicefoxEvent, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, startTestApp, VOICEFOX_SECRET, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

const apps: TestApp[] = [];
const emulators: HubSpotEmulator[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const emulator of emulators.splice(0)) await emulator.close();
});

async function start(options: Parameters<typeof startTestApp>[0] = {}): Promise<TestApp> {
  const app = await startTestApp(options);
  apps.push(app);
  return app;
}

const postYunfu = (t: TestApp, body: unknown) => postJson(`${t.url}/webhooks/yunfu/${YUNFU_SECRET}`, body);
const postVoiceFox = (t: TestApp, body: unknown) =>
  postJson(`${t.url}/webhooks/voicefox`, body, { authorization: `Bearer ${VOICEFOX_SECRET}` });
const contactsWith = (t: TestApp, e164: string): SnapshotObject[] =>
  t.emulator.listObjects('contacts').filter((contact) => contact.properties['ai_call_phone_e164'] === e164);
const callsWithKey = (t: TestApp, key: string): SnapshotObject[] =>
  t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === key);

describe('HubSpot sync, against the emulator over HTTP with the real SDK', () => {
  it('logs both seed calls on one contact +8617534989887, associated, with duration, direction, intention, tags and answers', async () => {
    const t = await start();
    expect((await postYunfu(t, fixture('yunfu', 'seed-inbound-success'))).status).toBe(200);
    expect((await postVoiceFox(t, fixture('voicefox', 'callin-collect'))).status).toBe(200);
    await t.settled();

    const contacts = t.emulator.listObjects('contacts');
    expect(contacts).toHaveLength(1);
    expect(contacts[0]!.properties).toMatchObject({
      ai_call_phone_e164: '+8617534989887',
      phone: '+8617534989887',
      city: '晋中',
      state: '山西',
    });
    // The placeholder name 未知 never reaches HubSpot.
    expect(contacts[0]!.properties['firstname'] ?? '').toBe('');

    const calls = t.emulator.listObjects('calls');
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(call.associations.contacts).toEqual([contacts[0]!.id]);

    const [yunfu] = callsWithKey(t, 'yunfu:3e7ff3fb-2e65-4a51-b322-a01db56f8a90');
    expect(yunfu!.properties).toMatchObject({
      hs_timestamp: expect.stringMatching(/^(2025-09-25T13:39:55(\.000)?Z|1758807595000)$/),
      hs_call_duration: '43000',
      hs_call_direction: 'INBOUND',
      hs_call_status: 'COMPLETED',
      hs_call_disposition: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
      hs_call_from_number: '+8617534989887',
      hs_call_recording_url: 'https://hw.test-saas.our.top/api/agent-api/download-voice?key=Um5tQ1dGWXdlVGJYVUF1TDB',
      ai_call_intention: 'A',
      ai_call_tags: '打出来的是什么号码',
      ai_call_vendor: 'Yunfu',
      ai_call_campaign: 'cky呼入任务测试',
      ai_call_score: '0',
      ai_call_rounds: '2',
    });

    const [voicefox] = callsWithKey(t, 'voicefox:vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10');
    expect(voicefox!.properties).toMatchObject({
      hs_call_duration: '43000',
      hs_call_direction: 'INBOUND',
      ai_call_intention: 'A',
      ai_call_tags: '价格咨询;回电',
      ai_call_summary: '客户对产品感兴趣，希望销售回电介绍价格。',
    });
    expect(voicefox!.properties['ai_call_answers']).toBe(
      '您对我们的产品感兴趣吗?: 感兴趣\n方便留一个邮箱吗?: li.wei@example.com\n预算大概多少?: —',
    );
    expect(voicefox!.properties['hs_call_body']).toContain(
      '<li><b>您对我们的产品感兴趣吗?</b> 感兴趣 <i>(客户主动询问价格)</i></li>',
    );

    // Anyone can inspect the result with HubSpot's own API shape.
    const listed = (await (
      await fetch(`${t.emulator.url}/crm/v3/objects/calls?associations=contacts&properties=hs_call_duration`, {
        headers: { authorization: 'Bearer inspect' },
      })
    ).json()) as {
      results: Array<{
        properties: Record<string, string>;
        associations?: { contacts?: { results: Array<{ id: string }> } };
      }>;
    };
    expect(listed.results).toHaveLength(2);
    expect(listed.results.every((call) => call.associations?.contacts?.results[0]?.id === contacts[0]!.id)).toBe(true);
  });

  it('gives one call for the same webhook delivered 3 times, concurrently and again after sync', async () => {
    const t = await start();
    const batch = yunfuBatch([yunfuCall({ callid: 'dup-0001', number: chinaMobile(1) })]);
    await Promise.all([postYunfu(t, batch), postYunfu(t, batch), postYunfu(t, batch)]);
    await t.settled();
    await postYunfu(t, batch);
    await postVoiceFox(t, voicefoxEvent('callin-collect', 'vf-dup-0001'));
    await Promise.all([
      postVoiceFox(t, voicefoxEvent('callin-collect', 'vf-dup-0001')),
      postVoiceFox(t, voicefoxEvent('callin-collect', 'vf-dup-0001')),
    ]);
    await t.settled();
    expect(callsWithKey(t, 'yunfu:dup-0001')).toHaveLength(1);
    expect(callsWithKey(t, 'voicefox:vf-dup-0001')).toHaveLength(1);
    expect(t.emulator.listObjects('calls')).toHaveLength(2);
  });

  it.each([
    ['hangup before collect', ['callin-hangup', 'callin-collect'] as const],
    ['collect before hangup', ['callin-collect', 'callin-hangup'] as const],
  ])("gives one call carrying both events' data for VoiceFox %s", async (_name, order) => {
    const t = await start();
    const session = `vf-order-${order[0]}`;
    await postVoiceFox(t, voicefoxEvent(order[0], session));
    await t.settled();
    await postVoiceFox(t, voicefoxEvent(order[1], session));
    await t.settled();
    const calls = callsWithKey(t, `voicefox:${session}`);
    process.stdout.write(
      `[reliability] out-of-order events (${_name}): ${calls.length} call in HubSpot, carrying answers and hangup data\n`,
    );
    expect(calls).toHaveLength(1);
    // From collect: answers, intention, summary. From hangup (and collect): timings, recording, hangup side.
    expect(calls[0]!.properties).toMatchObject({
      ai_call_intention: 'A',
      hs_call_duration: '43000',
      ai_call_summary: '客户对产品感兴趣，希望销售回电介绍价格。',
    });
    expect(calls[0]!.properties['ai_call_answers']).toContain('您对我们的产品感兴趣吗?: 感兴趣');
    expect(calls[0]!.properties['hs_call_body']).toContain('<b>Hung up by:</b> customer (normal clearing)');
    expect(calls[0]!.properties['hs_call_recording_url']).toMatch(/^https:\/\/media\.voicefox\.example\//);
  });

  it('gives exactly one contact for 20 concurrent calls from one new number, with search lag at 10 s', async () => {
    const emulator = await HubSpotEmulator.start({ limits: { searchLagMs: 10_000 } });
    emulators.push(emulator);
    // Two connector instances with separate stores: nothing shared but HubSpot, the worst case for duplicates.
    const first = await start({ emulator, env: { WORKER_BATCH_SIZE: '3' } });
    const second = await start({ emulator, env: { WORKER_BATCH_SIZE: '3' } });
    const number = chinaMobile(777);
    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        postYunfu(index % 2 === 0 ? first : second, yunfuBatch([yunfuCall({ callid: `burst-${index}`, number })])),
      ),
    );
    await Promise.all([first.settled(20_000), second.settled(20_000)]);
    const contacts = emulator.listObjects('contacts');
    expect(contacts).toHaveLength(1);
    expect(contacts[0]!.properties['ai_call_phone_e164']).toBe(e164Of(number));
    const calls = emulator.listObjects('calls');
    expect(calls).toHaveLength(20);
    expect(calls.every((call) => call.associations.contacts?.[0] === contacts[0]!.id)).toBe(true);
  });

  it.each(['175 3498 9887', '+86 175-3498-9887'])(
    'adopts a contact that already exists with phone "%s" instead of creating another',
    async (phone) => {
      const t = await start();
      const existing = t.emulator.seedObject('contacts', {
        phone,
        firstname: '李',
        lastname: '伟',
        email: 'li.wei@example.com',
      }) as { id: string };
      await postYunfu(t, fixture('yunfu', 'seed-inbound-success'));
      await t.settled();
      const contacts = t.emulator.listObjects('contacts');
      expect(contacts).toHaveLength(1);
      expect(contacts[0]!.id).toBe(existing.id);
      // Our key is set on it; what a salesperson entered stays.
      expect(contacts[0]!.properties).toMatchObject({
        ai_call_phone_e164: '+8617534989887',
        phone,
        firstname: '李',
        lastname: '伟',
      });
      expect(t.emulator.listObjects('calls')[0]!.associations.contacts).toEqual([existing.id]);
    },
  );

  it('logs a call without a valid phone without a contact when the config says so', async () => {
    const t = await start({ mappingYaml: 'vendors: {}\nhubspot:\n  callsWithoutPhone: log-without-contact\n' });
    await postVoiceFox(t, fixture('voicefox', 'seed-callin-collect'));
    await t.settled();
    expect(await t.inbox.findByKey('voicefox', '通话ID:callin.collect')).toMatchObject({
      status: 'synced',
      hubspot_contact_id: null,
    });
    const calls = callsWithKey(t, 'voicefox:通话ID');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.associations.contacts ?? []).toEqual([]);
    expect(t.emulator.listObjects('contacts')).toHaveLength(0);
  });

  it('does not adopt a contact with the same national number in another country', async () => {
    const t = await start();
    t.emulator.seedObject('contacts', { phone: '+1 175 3498 9887' });
    await postYunfu(t, fixture('yunfu', 'seed-inbound-success'));
    await t.settled();
    expect(t.emulator.listObjects('contacts')).toHaveLength(2);
    expect(contactsWith(t, '+8617534989887')).toHaveLength(1);
  });

  it("dead-letters a record HubSpot refuses with INVALID_OPTION, with HubSpot's message, and syncs the rest of its batch", async () => {
    // An admin's own select property (not one the connector owns, so it adds no options to it), holding grade A only.
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    const created = await fetch(`${emulator.url}/crm/v3/properties/calls`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'sales_grade',
        label: 'Grade',
        type: 'enumeration',
        fieldType: 'select',
        groupName: 'callinformation',
        options: [{ label: 'A', value: 'A', displayOrder: 0 }],
      }),
    });
    expect(created.status).toBe(201);
    const t = await start({
      emulator,
      mappingYaml: 'call:\n  properties:\n    - { source: intention.label, property: sales_grade, mode: overwrite }\n',
    });
    const items = [0, 1, 2, 3, 4].map((index) =>
      yunfuCall({ callid: `opt-${index + 1}`, number: chinaMobile(11 + index), intention: index === 2 ? 'Z' : 'A' }),
    );
    await postYunfu(t, yunfuBatch(items));
    await t.settled();
    const dead = await t.inbox.list({ status: 'dead' });
    expect(dead.map((row) => row.event_key)).toEqual(['opt-3']);
    expect(dead[0]!.last_error).toMatch(/^HubSpot refused the call: .*Z.*\(VALIDATION_ERROR/);
    for (const key of ['opt-1', 'opt-2', 'opt-4', 'opt-5']) expect(callsWithKey(t, `yunfu:${key}`)).toHaveLength(1);
    expect(callsWithKey(t, 'yunfu:opt-3')).toHaveLength(0);
  });

  it.each(['ai_call_tags', 'ai_call_intention'])(
    'syncs a call whose option an admin removed from %s since the connector added it, with that value',
    async (property) => {
      const t = await start();
      await postYunfu(
        t,
        yunfuBatch([yunfuCall({ callid: 'heal-0', number: chinaMobile(40), intention: 'Z', tags: ['回电'] })]),
      );
      await t.settled();
      expect(callsWithKey(t, 'yunfu:heal-0')[0]!.properties).toMatchObject({
        ai_call_intention: 'Z',
        ai_call_tags: '回电',
      });
      // An admin removes the option behind the connector's back; the connector still believes it is there.
      const kept = property === 'ai_call_tags' ? [] : [{ label: 'A', value: 'A', displayOrder: 0, hidden: false }];
      const response = await fetch(`${t.emulator.url}/crm/v3/properties/calls/${property}`, {
        method: 'PATCH',
        headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
        body: JSON.stringify({ options: kept }),
      });
      expect(response.status).toBe(200);
      await postYunfu(
        t,
        yunfuBatch([yunfuCall({ callid: 'heal-1', number: chinaMobile(41), intention: 'Z', tags: ['回电'] })]),
      );
      await t.settled();
      expect(await t.inbox.list({ status: 'dead' })).toEqual([]);
      expect(callsWithKey(t, 'yunfu:heal-1')).toHaveLength(1);
      expect(callsWithKey(t, 'yunfu:heal-1')[0]!.properties).toMatchObject({
        ai_call_intention: 'Z',
        ai_call_tags: '回电',
      });
      expect(await t.inbox.findByKey('yunfu', 'heal-1')).toMatchObject({ status: 'synced', attempts: 0 });
    },
  );

  it('does not create a second call when HubSpot created it but the ledger never heard (crash between answer and ledger)', async () => {
    const t = await start({ env: { HUBSPOT_SEARCH_LAG_MS: '0' } });
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'warmup', number: chinaMobile(20) })]));
    await t.settled();
    // The state a crash leaves: HubSpot holds the call, the ledger only the intent to create it.
    const created = t.emulator.seedObject('calls', {
      hs_timestamp: '2025-09-25T13:39:55.000Z',
      ai_call_key: 'yunfu:crash-0001',
    }) as { id: string };
    await t.app.get(LedgerRepository).markCreating(['yunfu:crash-0001'], new Date(Date.now() - 60_000));
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'crash-0001', number: chinaMobile(21) })]));
    await t.settled();
    const calls = callsWithKey(t, 'yunfu:crash-0001');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.id).toBe(created.id);
    // It was found and updated with the call's data.
    expect(calls[0]!.properties['hs_call_duration']).toBe('43000');
    expect((await t.inbox.findByKey('yunfu', 'crash-0001'))?.hubspot_call_id).toBe(created.id);
  });

  it('waits, rather than creating, while an unconfirmed create may still be invisible to search', async () => {
    const t = await start({ env: { HUBSPOT_SEARCH_LAG_MS: '600000' } });
    await t.app.get(LedgerRepository).markCreating(['yunfu:lagging-0001'], new Date());
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'lagging-0001', number: chinaMobile(30) })]));
    await expect
      .poll(async () => (await t.inbox.findByKey('yunfu', 'lagging-0001'))?.status, { timeout: 5_000 })
      .toBe('retrying');
    const row = await t.inbox.findByKey('yunfu', 'lagging-0001');
    expect(row!.last_error).toMatch(/unconfirmed/);
    expect(Date.parse(row!.next_attempt_at!)).toBeGreaterThan(Date.now() + 500_000);
    expect(callsWithKey(t, 'yunfu:lagging-0001')).toHaveLength(0);
  });

  it('reports a needed property of the wrong type by name, does not overwrite it, and dead-letters nothing', async () => {
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
    const created = await fetch(`${emulator.url}/crm/v3/properties/contacts`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'ai_call_phone_e164',
        label: 'Taken',
        type: 'enumeration',
        fieldType: 'select',
        groupName: 'contactinformation',
        options: [],
      }),
    });
    expect(created.status).toBe(201);
    const t = await start({ emulator });
    await postYunfu(t, fixture('yunfu', 'seed-inbound-success'));
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${t.url}/health/ready`)).json()) as { details: { hubspot: { state: string } } }).details
            .hubspot.state,
        { timeout: 5_000 },
      )
      .toBe('misconfigured');
    const health = (await (await fetch(`${t.url}/health/ready`)).json()) as {
      status: string;
      details: { hubspot: { reason: string } };
    };
    expect(health.status).toBe('degraded');
    expect(health.details.hubspot.reason).toContain(
      'contacts.ai_call_phone_e164 is of type enumeration; the connector needs string',
    );
    expect(await t.inbox.list({ status: 'dead' })).toEqual([]);
    expect(emulator.listObjects('contacts')).toHaveLength(0);
  });
});
