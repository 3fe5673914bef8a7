import type { SnapshotObject } from '@ai-call-hubspot-connector/hubspot-emulator';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, fixtureText } from '../support/fixtures.js';
import { chinaMobile, voicefoxEvent, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import {
  postJson,
  REPO_DIR,
  startTestApp,
  VOICEFOX_SECRET,
  waitFor,
  YUNFU_SECRET,
  type TestApp,
} from '../support/test-app.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const SHIPPED = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
const example = (name: string) => readFileSync(join(REPO_DIR, 'config', 'examples', `${name}.yaml`), 'utf8');

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const start = async (options: Parameters<typeof startTestApp>[0] = {}) => {
  t = await startTestApp({ ...options, env: { ADMIN_TOKEN, ...options.env } });
  return t;
};
const postYunfu = (app: TestApp, body: unknown) => postJson(`${app.url}/webhooks/yunfu/${YUNFU_SECRET}`, body);
const postVoiceFox = (app: TestApp, body: unknown) =>
  postJson(`${app.url}/webhooks/voicefox`, body, { authorization: `Bearer ${VOICEFOX_SECRET}` });
const callWithKey = (app: TestApp, key: string): SnapshotObject | undefined =>
  app.emulator.listObjects('calls').find((call) => call.properties['ai_call_key'] === key);
const contactWith = (app: TestApp, e164: string): SnapshotObject | undefined =>
  app.emulator.listObjects('contacts').find((contact) => contact.properties['ai_call_phone_e164'] === e164);
const health = async (app: TestApp) =>
  (await (await fetch(`${app.url}/health/ready`)).json()) as {
    status: string;
    details: { config: { status: string; message?: string; problems?: string[]; inForceSince: string } };
  };
const editMapping = (app: TestApp, yaml: string) => writeFileSync(join(app.dir, 'config', 'mapping.yaml'), yaml);
const withTitle = (title: string) => SHIPPED.replace(/^ {2}title: .*$/m, `  title: ${JSON.stringify(title)}`);
const preview = (app: TestApp, vendor: string, body: string, token = ADMIN_TOKEN) =>
  fetch(`${app.url}/admin/mapping/preview?vendor=${vendor}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  });

describe('reloading the mapping', () => {
  it('keeps the previous mapping in force after a broken edit, and applies a good edit to the next batch without restart', async () => {
    const app = await start();
    await postYunfu(app, yunfuBatch([yunfuCall({ callid: 'before', number: chinaMobile(1) })]));
    await app.settled();
    expect(callWithKey(app, 'yunfu:before')!.properties['hs_call_title']).toBe(
      'AI call (Yunfu, inbound) · intention A',
    );

    // A broken edit: an unknown field on line 62.
    const broken = withTitle('Call from {{custmer.name}}');
    const brokenLine = broken.split('\n').findIndex((line) => line.startsWith('  title:')) + 1;
    editMapping(app, broken);
    await expect.poll(async () => (await health(app)).details.config.status, { timeout: 5_000 }).toBe('degraded');
    const refused = await health(app);
    expect(refused.status).toBe('degraded');
    expect(refused.details.config.message).toMatch(
      /^the file change reload at .* was refused; the previous mapping stays in force$/,
    );
    // Health needs no token: it names the file, not the server's folders.
    expect(refused.details.config.problems).toEqual([
      `mapping.yaml:${brokenLine} call.title: unknown field "custmer.name"`,
    ]);
    expect(JSON.stringify(refused)).not.toContain(app.dir);
    expect(app.logs.some((line) => line['msg'] === 'mapping reload refused: the previous mapping stays in force')).toBe(
      true,
    );

    await postYunfu(app, yunfuBatch([yunfuCall({ callid: 'after-broken', number: chinaMobile(2) })]));
    await app.settled();
    expect(callWithKey(app, 'yunfu:after-broken')!.properties['hs_call_title']).toBe(
      'AI call (Yunfu, inbound) · intention A',
    );

    editMapping(app, withTitle('{{vendorName}} call, level {{intention.label}}'));
    await expect.poll(async () => (await health(app)).details.config.status, { timeout: 5_000 }).toBe('up');
    await postYunfu(app, yunfuBatch([yunfuCall({ callid: 'after-good', number: chinaMobile(3) })]));
    await app.settled();
    expect(callWithKey(app, 'yunfu:after-good')!.properties['hs_call_title']).toBe('Yunfu call, level A');

    // The file gone (an editor saving by rename, a wrong permission): refused, named without its folder.
    rmSync(join(app.dir, 'config', 'mapping.yaml'));
    await expect.poll(async () => (await health(app)).details.config.status, { timeout: 5_000 }).toBe('degraded');
    const unreadable = await health(app);
    expect(unreadable.details.config.problems).toEqual(['mapping.yaml: cannot read the file']);
    expect(JSON.stringify(unreadable)).not.toContain(app.dir);
  });

  it('reloads on SIGHUP and through the admin endpoint, and refuses an edit HubSpot could not take', async () => {
    const app = await start();
    await postYunfu(app, yunfuBatch([yunfuCall({ callid: 'provision', number: chinaMobile(4) })]));
    await app.settled();
    const before = (await health(app)).details.config.inForceSince;
    process.emit('SIGHUP');
    await expect.poll(async () => (await health(app)).details.config.inForceSince, { timeout: 5_000 }).not.toBe(before);

    // A valid file whose property does not exist in the portal: refused by the portal check.
    const unknownProperty = SHIPPED.replace(
      '  properties: []                   # more call fields',
      '  properties:\n    - { source: script.name, property: ai_call_script_name }\n  # more call fields',
    );
    editMapping(app, unknownProperty);
    const reload = await fetch(`${app.url}/admin/mapping/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const result = (await reload.json()) as { ok: boolean; problems: string[] };
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatch(
      /call\.properties\[0\]\.property: HubSpot has no call property "ai_call_script_name"$/,
    );
  });
});

describe('write modes on contacts', () => {
  const withNameMode = (mode: string) =>
    SHIPPED.replace(
      '{ source: customer.name, property: firstname, mode: fill-if-empty }',
      `{ source: customer.name, property: firstname, mode: ${mode} }`,
    );
  const namedCall = (callid: string, number: string, name: string) => {
    const call = yunfuCall({ callid, number });
    return yunfuBatch([{ ...call, customer_data: { name, email: null, company: null, extra: null } }]);
  };

  it('fill-if-empty never overwrites a value a salesperson typed, but fills an empty one', async () => {
    const app = await start();
    app.emulator.seedObject('contacts', { phone: '138 0000 0011', firstname: 'Typed by sales' });
    app.emulator.seedObject('contacts', { phone: '138 0000 0012' });
    await postYunfu(app, namedCall('fill-1', chinaMobile(11), '张伟'));
    await postYunfu(app, namedCall('fill-2', chinaMobile(12), '王芳'));
    await app.settled();
    expect(contactWith(app, '+8613800000011')!.properties['firstname']).toBe('Typed by sales');
    expect(contactWith(app, '+8613800000012')!.properties['firstname']).toBe('王芳');

    // Later, sales types over what the connector filled; the next call does not undo it.
    const filled = contactWith(app, '+8613800000012')!;
    await fetch(`${app.emulator.url}/crm/v3/objects/contacts/${filled.id}`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer sales', 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { firstname: 'Fang Wang' } }),
    });
    await postYunfu(app, namedCall('fill-3', chinaMobile(12), '王芳芳'));
    await app.settled();
    expect(contactWith(app, '+8613800000012')!.properties['firstname']).toBe('Fang Wang');
  });

  it('overwrite writes over what is there', async () => {
    const app = await start({ mappingYaml: withNameMode('overwrite') });
    app.emulator.seedObject('contacts', { phone: '138 0000 0021', firstname: 'Typed by sales' });
    await postYunfu(app, namedCall('over-1', chinaMobile(21), '张伟'));
    await app.settled();
    expect(contactWith(app, '+8613800000021')!.properties['firstname']).toBe('张伟');
  });

  it('never writes, not even on an empty property or a new contact', async () => {
    const app = await start({ mappingYaml: withNameMode('never') });
    app.emulator.seedObject('contacts', { phone: '138 0000 0031' });
    await postYunfu(app, namedCall('never-1', chinaMobile(31), '张伟'));
    await postYunfu(app, namedCall('never-2', chinaMobile(32), '王芳'));
    await app.settled();
    expect(contactWith(app, '+8613800000031')!.properties['firstname'] ?? '').toBe('');
    expect(contactWith(app, '+8613800000032')!.properties['firstname'] ?? '').toBe('');
    expect(contactWith(app, '+8613800000032')!.properties['city']).toBe('晋中');
  });
});

describe('preview', () => {
  it("refuses without ADMIN_TOKEN configured, with a wrong token, without a vendor, and names a bad payload's field", async () => {
    const closed = await startTestApp();
    try {
      const response = await preview(closed, 'yunfu', fixtureText('yunfu', 'seed-inbound-success'));
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: { code: 'unauthorized', message: 'admin endpoints are closed: ADMIN_TOKEN is not set' },
      });
    } finally {
      await closed.close();
    }
    const app = await start();
    // The connector checks its token and scopes once at start; the previews below must add no request to that.
    await waitFor(
      () => app.logs.some((line) => line['msg'] === 'HubSpot token checked: every needed scope is granted'),
      5_000,
    );
    const before = app.emulator.counters.total;
    expect(
      (await preview(app, 'yunfu', fixtureText('yunfu', 'seed-inbound-success'), 'not-the-admin-token-at-all')).status,
    ).toBe(401);
    expect((await preview(app, '', '{}')).status).toBe(400);
    const bad = await preview(app, 'voicefox', '{"event_name":"callin.collect","event_data":{"caller":"1"}}');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'event_data.session_id' } });
    expect(app.emulator.counters.total - before).toBe(0);
  });

  it.each([
    ['yunfu', 'seed-inbound-success', 'yunfu:3e7ff3fb-2e65-4a51-b322-a01db56f8a90'],
    ['voicefox', 'callin-collect', 'voicefox:vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10'],
  ])('of the %s seed equals what the emulator receives when it is really posted', async (vendor, name, key) => {
    const app = await start();
    const body = fixtureText(vendor as 'yunfu' | 'voicefox', name);
    // Provision first, as a running connector would have, so the preview can see the portal.
    await postYunfu(app, yunfuBatch([yunfuCall({ callid: 'warm-up', number: chinaMobile(90) })]));
    await app.settled();
    const previewed = (await (await preview(app, vendor, body)).json()) as {
      hubspotChecked: boolean;
      calls: Array<{
        contact: { action: string; properties: Record<string, string> };
        call: { action: string; properties: Record<string, string> };
      }>;
    };
    expect(previewed.hubspotChecked).toBe(true);
    expect(previewed.calls).toHaveLength(1);
    const [planned] = previewed.calls;
    expect(planned!.contact.action).toBe('create');
    expect(planned!.call.action).toBe('create');

    if (vendor === 'yunfu') await postYunfu(app, body);
    else await postVoiceFox(app, body);
    await app.settled();
    const call = callWithKey(app, key)!;
    const contact = contactWith(app, '+8617534989887')!;
    const comparable = (properties: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(properties).map(([property, value]) => [
          property,
          property === 'hs_timestamp' ? new Date(/^\d+$/.test(value) ? Number(value) : value).toISOString() : value,
        ]),
      );
    expect(
      comparable(
        Object.fromEntries(
          Object.keys(planned!.call.properties).map((property) => [property, call.properties[property]!]),
        ),
      ),
    ).toEqual(comparable(planned!.call.properties));
    // Every property the connector wrote on the call is in the preview (the rest are HubSpot's own).
    const written = Object.keys(call.properties).filter(
      (property) =>
        call.properties[property] !== '' &&
        !/^hs_(object_id|createdate|lastmodifieddate|created_by|updated_by|.*_source.*)$/.test(property) &&
        property !== 'hubspot_owner_id',
    );
    expect(written.filter((property) => !(property in planned!.call.properties))).toEqual([]);
    // hs_marketable_status is planned, but HubSpot does not let the API set it (knowledge base; hubspot.md "Hard
    // limits"): the emulator refuses it, and the connector writes every other value without it.
    for (const [property, value] of Object.entries(planned!.contact.properties)) {
      if (property !== 'hs_marketable_status') expect(contact.properties[property], property).toBe(value);
    }
    expect(contact.properties['hs_marketable_status'] ?? '').toBe('');
  });
});

describe('the worked examples in config/examples', () => {
  it('maps collected answers to contact properties (example 1)', async () => {
    const app = await start({ mappingYaml: example('answer-to-contact-property') });
    await fetch(`${app.emulator.url}/crm/v3/properties/contacts`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'ai_budget',
        label: 'Budget (AI call)',
        type: 'string',
        fieldType: 'text',
        groupName: 'contactinformation',
      }),
    });
    const answered = voicefoxEvent('callin-collect', 'vf-example-1') as {
      event_data: { collect_targets: Array<Record<string, unknown>> };
    };
    answered.event_data.collect_targets[2] = {
      ...answered.event_data.collect_targets[2],
      result: '五万左右',
      hit: true,
    };
    await postVoiceFox(app, answered);
    await app.settled();
    expect(contactWith(app, '+8617534989887')!.properties).toMatchObject({
      email: 'li.wei@example.com',
      ai_budget: '五万左右',
    });
  });

  it('changes the call title (example 2)', async () => {
    const app = await start({ mappingYaml: example('custom-call-title') });
    await postYunfu(app, fixture('yunfu', 'seed-inbound-success'));
    await postYunfu(
      app,
      yunfuBatch([
        { ...yunfuCall({ callid: 'named', number: chinaMobile(5), intention: 2 }), customer_data: { name: '张伟' } },
      ]),
    );
    await app.settled();
    expect(callWithKey(app, 'yunfu:3e7ff3fb-2e65-4a51-b322-a01db56f8a90')!.properties['hs_call_title']).toBe(
      '[A] Unknown caller · cky呼入任务测试',
    );
    expect(callWithKey(app, 'yunfu:named')!.properties['hs_call_title']).toBe('[B] 张伟 · cky呼入任务测试');
  });

  it('maps intention A and B to a custom call outcome (example 3)', async () => {
    const app = await start({ mappingYaml: example('intention-outcome') });
    // The portal's own outcome "Interested", as an admin creates it in HubSpot's calling settings.
    const interested = '11111111-2222-4333-8444-555555555555';
    const added = await fetch(`${app.emulator.url}/_emulator/dispositions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'Interested', id: interested }),
    });
    expect(added.status).toBe(201);
    await postYunfu(
      app,
      yunfuBatch(
        [1, 2, 3, 4].map((level) =>
          yunfuCall({ callid: `level-${level}`, number: chinaMobile(60 + level), intention: level }),
        ),
      ),
    );
    await app.settled();
    expect(callWithKey(app, 'yunfu:level-1')!.properties['hs_call_disposition']).toBe(interested);
    expect(callWithKey(app, 'yunfu:level-2')!.properties['hs_call_disposition']).toBe(interested);
    expect(callWithKey(app, 'yunfu:level-3')!.properties['hs_call_disposition']).toBe(
      'f240bbac-87c9-4f6e-bf70-924b57d47db7',
    );
    expect(callWithKey(app, 'yunfu:level-4')!.properties['hs_call_disposition']).toBe(
      'f240bbac-87c9-4f6e-bf70-924b57d47db7',
    );
  });

  it('stops sync with the problem named when a configured outcome does not exist in the portal', async () => {
    const app = await start({ mappingYaml: example('intention-outcome') });
    await postYunfu(app, fixture('yunfu', 'seed-inbound-success'));
    const problems = async () =>
      ((await (await fetch(`${app.url}/health/ready`)).json()) as { details: { hubspot: { reason?: string } } }).details
        .hubspot.reason ?? '';
    await expect
      .poll(problems, { timeout: 5_000 })
      .toContain('vendors.yunfu.intentions.1.outcome: "Interested" is not a call outcome of this portal');
    expect(await app.inbox.countByStatus()).toMatchObject({ dead: 0, synced: 0 });
  });
});

describe('events that only update', () => {
  it('keeps a hangup configured as update-only until the collect creates the call, which then carries both', async () => {
    const app = await start({
      mappingYaml: SHIPPED.replace(
        'create: [callin.collect, task.call.collect, callin.hangup, callin.transfer]  # these create the call, or update it\n      update: []',
        'create: [callin.collect, task.call.collect]\n      update: [callin.hangup, callin.transfer]',
      ),
    });
    await postVoiceFox(app, voicefoxEvent('callin-hangup', 'vf-update-only'));
    await app.settled();
    expect(callWithKey(app, 'voicefox:vf-update-only')).toBeUndefined();
    expect((await app.inbox.findByKey('voicefox', 'vf-update-only:callin.hangup'))?.status).toBe('skipped');
    await postVoiceFox(app, voicefoxEvent('callin-collect', 'vf-update-only'));
    await app.settled();
    const call = callWithKey(app, 'voicefox:vf-update-only')!;
    expect(call.properties['hs_call_body']).toContain('<b>Hung up by:</b> customer (normal clearing)');
    expect(call.properties['ai_call_answers']).toContain('感兴趣');
  });
});

describe('contact creation policy, call-bound answers and text tags', () => {
  it('gives new contacts the default name, lifecycle stage and non-marketing status; logs calls of unknown numbers without a contact when creation is off', async () => {
    const app = await start({
      mappingYaml: SHIPPED.replace('defaultName: null ', 'defaultName: AI call lead ').replace(
        'lifecycleStage: null ',
        'lifecycleStage: lead ',
      ),
    });
    await postYunfu(app, fixture('yunfu', 'seed-inbound-success'));
    await app.settled();
    // HubSpot does not let the API set the marketing status (knowledge base): its refusal costs no other value.
    expect(contactWith(app, '+8617534989887')!.properties).toMatchObject({
      firstname: 'AI call lead',
      lifecyclestage: 'lead',
      phone: '+8617534989887',
    });
    expect(contactWith(app, '+8617534989887')!.properties['hs_marketable_status'] ?? '').toBe('');

    const noCreate = await startTestApp({ mappingYaml: SHIPPED.replace('  create: true ', '  create: false ') });
    try {
      await postYunfu(noCreate, fixture('yunfu', 'seed-inbound-success'));
      await noCreate.settled();
      expect(noCreate.emulator.listObjects('contacts')).toHaveLength(0);
      const [call] = noCreate.emulator.listObjects('calls');
      expect(call!.associations.contacts ?? []).toEqual([]);
      expect(await noCreate.inbox.countByStatus()).toMatchObject({ synced: 1, dead: 0 });
    } finally {
      await noCreate.close();
    }
  });

  it('writes an answer to a call property, and tags as text when configured', async () => {
    const app = await start({
      mappingYaml: SHIPPED.replace(
        'answers: []',
        'answers:\n  - { questionId: q-interest-01, to: call, property: ai_call_summary, mode: overwrite }\n',
      ).replace('tags: { property: ai_call_tags, as: multi-select }', 'tags: { property: ai_call_tag_text, as: text }'),
    });
    await postVoiceFox(app, fixture('voicefox', 'callin-collect'));
    await app.settled();
    const call = callWithKey(app, 'voicefox:vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10')!;
    expect(call.properties['ai_call_summary']).toBe('感兴趣');
    expect(call.properties['ai_call_tag_text']).toBe('价格咨询, 回电');
  });

  it('previews the VoiceFox document sample (placeholders, no phone) as dead-lettered, and it is', async () => {
    const app = await start();
    const previewed = (await (
      await preview(app, 'voicefox', fixtureText('voicefox', 'seed-callin-collect'))
    ).json()) as { calls: Array<{ contact: { action: string; reason: string } }> };
    expect(previewed.calls[0]!.contact).toEqual({
      action: 'none',
      reason: 'no valid phone number: the call would be dead-lettered',
    });
    await postVoiceFox(app, fixtureText('voicefox', 'seed-callin-collect'));
    await app.settled();
    expect((await app.inbox.findByKey('voicefox', '通话ID:callin.collect'))?.status).toBe('dead');
    expect(app.emulator.listObjects('calls')).toHaveLength(0);
  });
});
