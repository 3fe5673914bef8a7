import type { SnapshotObject } from '@ai-call-hubspot-connector/hubspot-emulator';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_OUTCOMES } from '../../src/mapping/hubspot-call-outcomes.js';
import { fixture, fixtureText } from '../support/fixtures.js';
import { postJson, REPO_DIR, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Vapi through HTTP on the built app, synced to the HubSpot emulator: its default bearer token, and the HMAC plan a
 * customer chooses in `config/mapping.yaml`.
 */
const SECRET = 'vapi-test-secret-0123456789abcdef';
const REPORT_KEY = '0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41:end-of-call-report';

/** The shipped mapping with a Vapi section of the test's own (and the other settings it names). */
function mappingYaml(vapi: Record<string, unknown>, hubspot: Record<string, unknown> = {}): string {
  const mapping = parse(readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8')) as Record<
    string,
    Record<string, unknown>
  >;
  mapping['vendors']!['vapi'] = vapi;
  mapping['hubspot'] = { ...mapping['hubspot'], ...hubspot };
  return stringify(mapping);
}

const vapiEvents = (t: TestApp) => t.inbox.list({ vendor: 'vapi' });
const callsWithKey = (t: TestApp, key: string): SnapshotObject[] =>
  t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === key);
const contactsWith = (t: TestApp, e164: string): SnapshotObject[] =>
  t.emulator.listObjects('contacts').filter((contact) => contact.properties['ai_call_phone_e164'] === e164);

describe('Vapi with its default credential, a bearer token', () => {
  let t: TestApp;
  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${SECRET}` }) =>
    postJson(`${t.url}/webhooks/vapi`, body, headers);

  beforeAll(async () => {
    t = await startTestApp({
      env: { VAPI_WEBHOOK_SECRET: SECRET },
      mappingYaml: mappingYaml({ intentions: { hot: 'A' } }, { callsWithoutPhone: 'log-without-contact' }),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a missing or wrong token with 401 and stores nothing', async () => {
    const body = fixtureText('vapi', 'inbound-report');
    expect((await post(body, {})).status).toBe(401);
    expect((await post(body, { authorization: 'Bearer vapi-wrong-secret-0123456789abcd' })).status).toBe(401);
    expect((await post(body, { 'x-vapi-secret': 'vapi-wrong-secret-0123456789abcd' })).status).toBe(401);
    // The token belongs in a header the credential names, not in the URL.
    expect((await postJson(`${t.url}/webhooks/vapi/${SECRET}`, body)).status).toBe(404);
    expect(await vapiEvents(t)).toEqual([]);
  });

  it('refuses a report without a call id with a 400 naming the field, and stores nothing', async () => {
    const report = fixture<{ message: Record<string, unknown> }>('vapi', 'inbound-report');
    const answer = await post({ message: { ...report.message, call: { type: 'inboundPhoneCall' } } });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('message.call.id');
    expect(await vapiEvents(t)).toEqual([]);
  });

  it('logs an inbound report on the caller: UTC time, ms duration, E.164 numbers, INBOUND, summary, recording', async () => {
    const answer = await post(fixtureText('vapi', 'inbound-report'));
    expect(answer).toMatchObject({ status: 200, body: {} });
    await t.settled();

    const [contact] = contactsWith(t, '+14158675309');
    expect(contact).toBeDefined();
    const calls = callsWithKey(t, 'vapi:0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.associations.contacts).toEqual([contact!.id]);
    expect(calls[0]!.properties).toMatchObject({
      hs_timestamp: expect.stringMatching(/^(2026-03-12T17:04:11\.512Z|1773335051512)$/),
      hs_call_duration: '167395',
      hs_call_direction: 'INBOUND',
      hs_call_status: 'COMPLETED',
      hs_call_disposition: DEFAULT_OUTCOMES['connected'],
      hs_call_from_number: '+14158675309',
      hs_call_to_number: '+16282520191',
      hs_call_recording_url:
        'https://storage.vapi.ai/0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41-1773335219412-6c2f0b8e-mono.wav',
      ai_call_vendor: 'Vapi',
      ai_call_summary:
        'The caller asked to move a Thursday cleaning appointment. Riley offered two slots and the caller chose Tuesday, March 17 at 10:30 AM.',
    });
    expect(calls[0]!.properties['hs_call_body']).toContain('<b>Successful:</b> true');
    expect(calls[0]!.properties['hs_call_body']).toContain('<b>Hung up by:</b> customer (customer-ended-call)');
  });

  it('stores a redelivered report with new presigned URLs as nothing new, whichever header carries the token', async () => {
    const again = await post(fixtureText('vapi', 'inbound-report-redelivered'), { 'x-vapi-secret': SECRET });
    expect(again).toMatchObject({ status: 200, body: {} });
    expect(await post(fixtureText('vapi', 'inbound-report'))).toMatchObject({ status: 200 });
    await t.settled();
    const rows = (await vapiEvents(t)).filter((row) => row.event_key === REPORT_KEY);
    expect(rows).toHaveLength(1);
    // The first delivery's body is the one kept, and it was processed once.
    expect(rows[0]).toMatchObject({ revision: 1, status: 'synced' });
    expect(JSON.parse(rows[0]!.payload)).toEqual(fixture('vapi', 'inbound-report'));
    expect(callsWithKey(t, 'vapi:0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41')).toHaveLength(1);
  });

  it('logs an outbound call from the line to the customer, with intention, tags and answers from structured data', async () => {
    expect((await post(fixtureText('vapi', 'outbound-structured'))).status).toBe(200);
    await t.settled();
    const [contact] = contactsWith(t, '+16505550143');
    expect(contact!.properties).toMatchObject({ firstname: 'Dana Whitfield', email: 'dana.whitfield@example.com' });
    const [call] = callsWithKey(t, 'vapi:7a2e9c41-6f3b-4d8a-b5e0-2c9d1f7a8e36');
    expect(call!.associations.contacts).toEqual([contact!.id]);
    expect(call!.properties).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_duration: '215831',
      hs_call_from_number: '+14157360182',
      hs_call_to_number: '+16505550143',
      hs_call_status: 'COMPLETED',
      ai_call_intention: 'A',
      ai_call_tags: 'pricing;demo-request',
    });
    expect(call!.properties['ai_call_answers']).toBe(
      [
        'companySize: 51-200',
        'currentProvider: Twilio Flex',
        'decisionMaker: true',
        'monthlyCallVolume: 4200',
        'painPoints: long hold times, after-hours calls',
        'followUp: {"channel":"email","date":"2026-03-19"}',
        'competitorMentioned: —',
      ].join('\n'),
    );
  });

  it('logs a call that never connected as not answered, with no talk time', async () => {
    expect((await post(fixtureText('vapi', 'outbound-no-answer'))).status).toBe(200);
    await t.settled();
    const [call] = callsWithKey(t, 'vapi:e93b7d52-1a4c-4f6e-8b2d-5c7a9e1f3b60');
    expect(call!.properties).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_status: 'NO_ANSWER',
      hs_call_disposition: DEFAULT_OUTCOMES['no-answer'],
      hs_call_duration: '0',
      hs_call_to_number: '+13125550176',
    });
  });

  it('logs a web call without a number under log-without-contact: no contact, no direction, no numbers', async () => {
    const contactsBefore = t.emulator.listObjects('contacts').length;
    expect((await post(fixtureText('vapi', 'web-call'))).status).toBe(200);
    await t.settled();
    const [call] = callsWithKey(t, 'vapi:5d1f0a8c-9e2b-4c7d-a3f6-8b0e2d4c6a19');
    expect(call!.associations.contacts ?? []).toEqual([]);
    expect(call!.properties).toMatchObject({ hs_call_duration: '35785', hs_call_status: 'COMPLETED' });
    for (const property of ['hs_call_direction', 'hs_call_from_number', 'hs_call_to_number'])
      expect(call!.properties[property] ?? '').toBe('');
    expect(t.emulator.listObjects('contacts')).toHaveLength(contactsBefore);
  });

  it('logs a number sent without its country code under its E.164 form', async () => {
    expect((await post(fixtureText('vapi', 'non-e164-number'))).status).toBe(200);
    await t.settled();
    const [call] = callsWithKey(t, 'vapi:b4a6c8e0-2d3f-4a5b-9c7e-1f0a2b3c4d5e');
    expect(call!.properties).toMatchObject({ hs_call_from_number: '+14155550199', hs_call_direction: 'INBOUND' });
    expect(contactsWith(t, '+14155550199')).toHaveLength(1);
  });

  it('stores and acknowledges a status update with an empty 200, and syncs nothing for it', async () => {
    const callsBefore = t.emulator.listObjects('calls').length;
    const answer = await post(fixtureText('vapi', 'status-update'));
    expect(answer).toMatchObject({ status: 200, body: {} });
    expect((await post(fixtureText('vapi', 'status-update'))).status).toBe(200);
    await t.settled();
    const rows = (await vapiEvents(t)).filter((row) => row.event_name === 'status-update');
    expect(rows.map((row) => [row.event_key, row.status])).toEqual([
      ['0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41:status-update:in-progress', 'skipped'],
    ]);
    expect(t.emulator.listObjects('calls')).toHaveLength(callsBefore);
  });
});

describe("Vapi with the customer's HMAC plan (vendors.vapi.auth)", () => {
  let t: TestApp;
  /** Vapi's HMAC credential with its defaults: x-signature, x-timestamp, `{timestamp}.{body}`, sha256, hex. */
  const signed = (body: string, at = Date.now(), key = SECRET) => {
    const timestamp = String(at);
    return {
      'x-timestamp': timestamp,
      'x-signature': createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex'),
    };
  };
  const post = (body: string, headers: Record<string, string>) => postJson(`${t.url}/webhooks/vapi`, body, headers);

  beforeAll(async () => {
    t = await startTestApp({
      env: { VAPI_WEBHOOK_SECRET: SECRET },
      mappingYaml: mappingYaml({
        auth: {
          scheme: 'hmac',
          signatureHeader: 'x-signature',
          timestampHeader: 'x-timestamp',
          timestampUnit: 'auto',
          payload: '{timestamp}.{body}',
          algorithm: 'sha256',
          encoding: 'hex',
          toleranceSeconds: 300,
        },
      }),
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a wrong signature, a stale timestamp, a body altered after signing and missing headers, storing nothing', async () => {
    const body = fixtureText('vapi', 'inbound-report');
    const good = signed(body);
    const refusals = [
      await post(body, {
        ...good,
        'x-signature': signed(body, Date.now(), 'vapi-other-key-0123456789abcdef')['x-signature'],
      }),
      await post(body, signed(body, Date.now() - 6 * 60 * 1000)),
      await post(body.replace('customer-ended-call', 'customer-ended-calm'), good),
      await post(body, { 'x-timestamp': good['x-timestamp'] }),
      await post(body, { 'x-signature': good['x-signature'] }),
      // The bearer token alone no longer opens the endpoint.
      await post(body, { authorization: `Bearer ${SECRET}` }),
    ];
    expect(refusals.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(await vapiEvents(t)).toEqual([]);
    expect(await t.inbox.countByStatus()).toMatchObject({ pending: 0, processing: 0, synced: 0 });
  });

  it('accepts a signed report with its timestamp in milliseconds or seconds, and stores the same event once', async () => {
    const body = fixtureText('vapi', 'inbound-report');
    expect(await post(body, signed(body))).toMatchObject({ status: 200, body: {} });
    const redelivered = fixtureText('vapi', 'inbound-report-redelivered');
    expect(await post(redelivered, signed(redelivered, Math.floor(Date.now() / 1000)))).toMatchObject({ status: 200 });
    await t.settled();
    expect((await vapiEvents(t)).map((row) => [row.event_key, row.revision, row.status])).toEqual([
      [REPORT_KEY, 1, 'synced'],
    ]);
    expect(callsWithKey(t, 'vapi:0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41')).toHaveLength(1);
  });
});
