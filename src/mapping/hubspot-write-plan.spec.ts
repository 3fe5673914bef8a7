import { describe, expect, it } from 'vitest';
import { chinaContext, fixture } from '../../test/support/fixtures.js';
import { parseConnectorSettings } from '../config/mapping/mapping-file.js';
import type { ConnectorSettings } from '../config/mapping/mapping-settings.js';
import { DEFAULT_OUTCOMES } from './hubspot-call-outcomes.js';
import type { CallRecord } from '../vendors/call-record.js';
import { YunfuMapper } from '../vendors/yunfu/yunfu.mapper.js';
import { YUNFU_EVENT_NAME } from '../vendors/yunfu/yunfu.webhook.js';
import { connectorPropertyNames } from './connector-properties.js';
import { MAX_TEXT } from './hubspot-call-mapping.js';
import {
  callWrite,
  clipAll,
  contactPlan,
  contactWrite,
  intentionValue,
  resolveOutcome,
  tagValues,
} from './hubspot-write-plan.js';

const settingsOf = (yaml: string): ConnectorSettings => parseConnectorSettings(yaml, 'mapping.yaml');

/** The Yunfu seed call (+8617534989887, intention A, one tag, 43 s), with changes. */
function seedCall(changes: Partial<CallRecord> = {}): CallRecord {
  const item = fixture<{ data: unknown[] }>('yunfu', 'seed-inbound-success').data[0];
  const result = new YunfuMapper().map({ eventName: YUNFU_EVENT_NAME, payload: item }, chinaContext());
  if (result.kind !== 'records') throw new Error('the seed maps to a call');
  return { ...result.records[0]!, ...changes };
}

const customer = (record: CallRecord, changes: Partial<CallRecord['customer']>): CallRecord => ({
  ...record,
  customer: { ...record.customer, ...changes },
});

const CONTACT_MODES = `
contact:
  properties:
    - { source: customer.name, property: firstname, mode: fill-if-empty }
    - { source: customer.company, property: company, mode: overwrite }
    - { source: customer.email, property: email, mode: never }
    - { source: customer.phone.e164, property: ai_call_phone_e164, mode: overwrite }
`;

describe('contactPlan', () => {
  it('sorts mapped values by write mode, leaves out never-mode and empty values, and never maps the unique phone key', () => {
    const settings = settingsOf(CONTACT_MODES);
    const record = customer(seedCall(), { name: '李伟', company: 'ACME', email: 'li.wei@example.com' });
    const plan = contactPlan([record], settings, connectorPropertyNames(settings));
    expect(plan.overwrite).toEqual({ company: 'ACME' });
    expect(plan.fillIfEmpty).toEqual({ firstname: '李伟' });

    const nameless = contactPlan(
      [customer(seedCall(), { name: null, company: '' })],
      settings,
      connectorPropertyNames(settings),
    );
    expect(nameless.overwrite).toEqual({});
    expect(nameless.fillIfEmpty).toEqual({});
  });

  it('lets a later record of the batch win over an earlier one', () => {
    const settings = settingsOf(CONTACT_MODES);
    const plan = contactPlan(
      [
        customer(seedCall(), { name: '李伟', company: 'Old Co' }),
        customer(seedCall(), { name: '李伟伟', company: 'New Co' }),
      ],
      settings,
      connectorPropertyNames(settings),
    );
    expect(plan).toMatchObject({ overwrite: { company: 'New Co' }, fillIfEmpty: { firstname: '李伟伟' } });
  });

  it('plans creation values: the phone, the default name only for a call without one, the lifecycle stage and the marketing status', () => {
    const settings = settingsOf(
      `${CONTACT_MODES}  defaultName: AI call lead\n  lifecycleStage: lead\n  marketingContact: true\n`,
    );
    const names = connectorPropertyNames(settings);
    expect(contactPlan([seedCall()], settings, names).onCreate).toEqual({
      phone: '+8617534989887',
      firstname: 'AI call lead',
      lifecyclestage: 'lead',
      hs_marketable_status: 'true',
    });
    expect(contactPlan([customer(seedCall(), { name: '李伟' })], settings, names).onCreate).toEqual({
      phone: '+8617534989887',
      lifecyclestage: 'lead',
      hs_marketable_status: 'true',
    });
    // The defaults: no name, no stage, a non-marketing contact.
    const defaults = settingsOf('{}');
    expect(contactPlan([seedCall()], defaults, connectorPropertyNames(defaults)).onCreate).toEqual({
      phone: '+8617534989887',
      hs_marketable_status: 'false',
    });
  });
});

describe('contactWrite', () => {
  const plan = {
    overwrite: { company: 'ACME' },
    fillIfEmpty: { firstname: '李伟', city: '晋中' },
    onCreate: { phone: '+8617534989887', hs_marketable_status: 'false' },
  };

  it('writes creation values, every fill-if-empty value and the overwrites on a contact the connector created', () => {
    expect(contactWrite(plan, { created: true, current: { firstname: 'ignored for a new contact' } })).toEqual({
      properties: {
        phone: '+8617534989887',
        hs_marketable_status: 'false',
        firstname: '李伟',
        city: '晋中',
        company: 'ACME',
      },
      skipped: [],
    });
  });

  it('fills only the empty properties of an existing contact (absent, null and empty text are empty) and says why it skipped the rest', () => {
    expect(contactWrite(plan, { created: false, current: { firstname: 'Typed by sales', city: '' } })).toEqual({
      properties: { city: '晋中', company: 'ACME' },
      skipped: [{ property: 'firstname', reason: 'fill-if-empty: the contact already has a value' }],
    });
    expect(contactWrite(plan, { created: false, current: { firstname: null } }).properties).toEqual({
      firstname: '李伟',
      city: '晋中',
      company: 'ACME',
    });
  });

  it('writes an overwrite value over what the contact holds', () => {
    expect(
      contactWrite(plan, { created: false, current: { company: 'Typed by sales', firstname: 'x', city: 'y' } })
        .properties,
    ).toEqual({ company: 'ACME' });
  });
});

describe('callWrite', () => {
  const defaults = settingsOf('{}');
  const names = connectorPropertyNames(defaults);
  const write = (record: CallRecord, settings = defaults, options: Partial<Parameters<typeof callWrite>[3]> = {}) =>
    callWrite(record, settings, connectorPropertyNames(settings), {
      fallbackTimestamp: '2026-03-02T08:00:00.000Z',
      outcomeIds: new Map(),
      current: null,
      ...options,
    });

  it('writes the standard call properties of the seed Yunfu call', () => {
    const { properties, skipped, dropped } = write(seedCall());
    expect(properties).toMatchObject({
      hs_timestamp: '2025-09-25T13:39:55.000Z',
      hs_call_title: 'AI call (Yunfu, inbound) · intention A',
      hs_call_direction: 'INBOUND',
      hs_call_status: 'COMPLETED',
      hs_call_disposition: DEFAULT_OUTCOMES['connected'],
      hs_call_duration: '43000',
      hs_call_from_number: '+8617534989887',
      hs_call_recording_url: 'https://hw.test-saas.our.top/api/agent-api/download-voice?key=Um5tQ1dGWXdlVGJYVUF1TDB',
      [names.callKey]: 'yunfu:3e7ff3fb-2e65-4a51-b322-a01db56f8a90',
      [names.vendor]: 'Yunfu',
      [names.intention]: 'A',
      [names.tags]: '打出来的是什么号码',
      [names.campaign]: 'cky呼入任务测试',
    });
    expect(properties['hs_call_to_number']).toBeUndefined();
    expect(skipped).toEqual([]);
    expect(dropped).toEqual([]);
  });

  it('takes the received time for a call that carries no time of its own', () => {
    expect(write(seedCall({ startedAt: null, answeredAt: null, endedAt: null })).properties['hs_timestamp']).toBe(
      '2026-03-02T08:00:00.000Z',
    );
    expect(write(seedCall({ startedAt: null, answeredAt: null })).properties['hs_timestamp']).toBe(
      '2025-09-25T13:40:38.000Z',
    );
  });

  it("names the call's outcome after an intention level configured with one: a default outcome by name, or a portal's own by label", () => {
    const byName = settingsOf('vendors:\n  yunfu:\n    intentions:\n      "1": { label: A, outcome: no-answer }\n');
    expect(write(seedCall(), byName).properties['hs_call_disposition']).toBe(DEFAULT_OUTCOMES['no-answer']);
    const byLabel = settingsOf('vendors:\n  yunfu:\n    intentions:\n      "1": { label: A, outcome: Hot lead }\n');
    const portal = new Map([['hot lead', '0a1b2c3d-0000-4000-8000-00000000000a']]);
    expect(write(seedCall(), byLabel, { outcomeIds: portal }).properties['hs_call_disposition']).toBe(
      '0a1b2c3d-0000-4000-8000-00000000000a',
    );
    // A label the portal does not have leaves the call's own outcome.
    expect(write(seedCall(), byLabel).properties['hs_call_disposition']).toBe(DEFAULT_OUTCOMES['connected']);
  });

  it('writes an intention and tags that cannot be options to the unlisted-values property as text, and the listed tags as options', () => {
    const record = seedCall({ tags: ['回电', '价格咨询', 'overflow'] });
    const { properties } = write(record, defaults, { unlisted: new Set(['A', 'overflow']) });
    expect(properties[names.intention]).toBeUndefined();
    expect(properties[names.tags]).toBe('回电;价格咨询');
    expect(properties[names.unlisted]).toBe('Intention: A\nTags: overflow');
  });

  it('joins tags with ; for a multi-select property and with , for a text one', () => {
    const record = seedCall({ tags: ['回电', '价格咨询'] });
    expect(write(record).properties[names.tags]).toBe('回电;价格咨询');
    const asText = settingsOf('call:\n  tags: { property: ai_call_tags, as: text }\n');
    expect(write(record, asText).properties[names.tags]).toBe('回电, 价格咨询');
  });

  it("applies the call mappings' write modes against what the call holds: fill-if-empty skips a filled value, never writes nothing, overwrite writes", () => {
    const settings = settingsOf(`call:
  properties:
    - { source: campaign.name, property: sales_campaign, mode: fill-if-empty }
    - { source: script.name, property: sales_script, mode: never }
    - { template: "Level {{intention.label}}", property: sales_grade, mode: overwrite }
`);
    const record = seedCall({ script: { id: 's-1', name: 'Inbound script' } });
    const fresh = write(record, settings);
    expect(fresh.properties).toMatchObject({ sales_campaign: 'cky呼入任务测试', sales_grade: 'Level A' });
    expect(fresh.properties['sales_script']).toBeUndefined();
    const edited = write(record, settings, {
      current: { sales_campaign: 'Typed by sales', sales_grade: 'Typed by sales' },
    });
    expect(edited.properties['sales_campaign']).toBeUndefined();
    expect(edited.properties['sales_grade']).toBe('Level A');
    expect(edited.skipped).toEqual([
      { property: 'sales_campaign', reason: 'fill-if-empty: the call already has a value' },
    ]);
  });

  it('leaves out a talk time out of range and a recording URL longer than HubSpot takes, naming each, and still writes the call', () => {
    const { properties, dropped } = write(
      seedCall({ talkSeconds: 90_000, recordingUrl: `https://example.com/${'a'.repeat(MAX_TEXT)}` }),
    );
    expect(properties['hs_call_duration']).toBeUndefined();
    expect(properties['hs_call_recording_url']).toBeUndefined();
    expect(dropped).toEqual([
      { property: 'hs_call_duration', reason: 'a talk time of 90000 s is out of range' },
      { property: 'hs_call_recording_url', reason: 'the recording URL is longer than HubSpot takes' },
    ]);
    expect(properties[names.callKey]).toBe('yunfu:3e7ff3fb-2e65-4a51-b322-a01db56f8a90');
  });

  it('writes no recording URL that is not https (the body links it instead)', () => {
    const { properties } = write(seedCall({ recordingUrl: 'http://media.example/call.mp3' }));
    expect(properties['hs_call_recording_url']).toBeUndefined();
    expect(properties['hs_call_body']).toContain('<a href="http://media.example/call.mp3">');
  });
});

describe('option values and outcomes', () => {
  it('makes option values HubSpot takes: ; becomes a comma, blanks and invisible characters at the ends go, repeats merge, at most 100 characters', () => {
    const record = {
      tags: [' 回电 ', '回电', 'a;b', '\u200B价格\uFEFF', '   ', 'x'.repeat(120)],
      intention: { code: '1', label: ' A; ' },
    } as CallRecord;
    expect(tagValues(record)).toEqual(['回电', 'a,b', '价格', 'x'.repeat(100)]);
    expect(intentionValue(record)).toBe('A,');
    expect(intentionValue({ ...record, intention: { code: '1', label: '\u200B ' } })).toBeNull();
    expect(intentionValue({ ...record, intention: null })).toBeNull();
  });

  it('resolves a configured outcome by default name, by GUID (lowercased) or by a portal label without case, else nothing', () => {
    const portal = new Map([['hot lead', 'portal-guid']]);
    expect(resolveOutcome('busy', portal)).toBe(DEFAULT_OUTCOMES['busy']);
    expect(resolveOutcome('0A1B2C3D-0000-4000-8000-00000000000A', portal)).toBe('0a1b2c3d-0000-4000-8000-00000000000a');
    expect(resolveOutcome('Hot Lead', portal)).toBe('portal-guid');
    expect(resolveOutcome('constructor', portal)).toBeNull();
  });

  it('cuts every value to what a HubSpot text property holds', () => {
    const clipped = clipAll({ short: 'ok', long: 'y'.repeat(MAX_TEXT + 10) });
    expect(clipped['short']).toBe('ok');
    expect(clipped['long']).toHaveLength(MAX_TEXT);
    expect(clipped['long']!.endsWith('…')).toBe(true);
  });
});
