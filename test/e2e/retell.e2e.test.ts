import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_OUTCOMES } from '../../src/mapping/hubspot-call-outcomes.js';
import type { CallRecord } from '../../src/vendors/call-record.js';
import { retellVendor } from '../../src/vendors/retell/retell.vendor.js';
import { checkBeforeBody, checkBody } from '../../src/webhooks/webhook-auth.js';
import { fixtureText } from '../support/fixtures.js';
import { postJson, REPO_DIR, startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Retell AI end to end: signed deliveries over HTTP to the built app, stored once, synced through the real SDK to
 * the HubSpot emulator. Signatures are made as Retell makes them.
 */

const API_KEY = 'key_3f9a1c7e5b2d4f60a8e1c3b5d7f9';
const MAIN_CALL = 'call_9f2c4e8a71b3d05c6e2a8f41d7b9';

/**
 * What retell-sdk 5.66.1 sends, made by that SDK itself (`symmetric.sign(body, key, 1764088500000)` from
 * `retell-sdk/lib/webhook_auth.js`, over the bytes of test/fixtures/retell/call-analyzed.json as they are now: a
 * reformatted fixture needs a new vector).
 */
const SDK_VECTOR = {
  timestamp: 1764088500000,
  header: 'v=1764088500000,d=bb6e5785031bdcd28ddc550de5189311236cc0b409cbea2389f13da0019928f0',
};

/**
 * Signs as retell-sdk 5.66.1's `lib/webhook_auth.js` does: Web Crypto HMAC-SHA256, keyed with the API key's text,
 * over the body text followed by the timestamp's decimal digits (`input + timestamp`), hex; the header
 * `v=<timestamp>,d=<hex>`.
 */
async function retellSign(body: string, key: string, timestamp = Date.now()): Promise<string> {
  const encode = (text: string) => new TextEncoder().encode(text);
  const hmacKey = await crypto.subtle.importKey('raw', encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const digest = await crypto.subtle.sign('HMAC', hmacKey, encode(body + timestamp));
  return `v=${timestamp},d=${Buffer.from(digest).toString('hex')}`;
}

/** The shipped mapping with an intention table for Retell's custom analysis and a title from the call's variables. */
function mappingYaml(): string {
  const mapping = parse(readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8')) as {
    vendors: Record<string, Record<string, unknown>>;
    call: Record<string, unknown>;
  };
  mapping.vendors['retell'] = {
    ...mapping.vendors['retell'],
    intentions: { hot: 'A', warm: 'B' },
    analysisKeys: { intention: 'intention', tags: 'tags' },
  };
  mapping.call['title'] = '{{vendorName}} call with {{extras.customer_name | "a caller"}} ({{script.name}})';
  return stringify(mapping);
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { RETELL_API_KEY: API_KEY }, mappingYaml: mappingYaml() });
});
afterAll(async () => {
  await t.close();
});

const url = () => `${t.url}/webhooks/retell`;
/** Posts a fixture's exact bytes, signed now (or as `sign` says). */
async function deliver(name: string, sign: (body: string) => Promise<string> = (body) => retellSign(body, API_KEY)) {
  const body = fixtureText('retell', name);
  return postJson(url(), body, { 'x-retell-signature': await sign(body) });
}
const retellRows = async () => t.inbox.list({ vendor: 'retell' });
const callsWithKey = (key: string) =>
  t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === key);
const instant = (value: string | null | undefined) =>
  new Date(/^\d+$/.test(value ?? '') ? Number(value) : (value ?? '')).toISOString();
const recordsOf = async (key: string): Promise<CallRecord[]> =>
  JSON.parse((await t.inbox.findByKey('retell', key))?.records ?? '[]') as CallRecord[];

describe('Retell signatures', () => {
  it('takes a signature Retell’s own SDK made, at its time, with the vendor’s default scheme', async () => {
    const body = Buffer.from(fixtureText('retell', 'call-analyzed'));
    const presented = (now: number) => ({
      header: (name: string) => (name === 'x-retell-signature' ? SDK_VECTOR.header : undefined),
      now: new Date(now),
    });
    const at = presented(SDK_VECTOR.timestamp + 1_000);
    expect(() => checkBeforeBody(retellVendor.auth, at, API_KEY)).not.toThrow();
    expect(() => checkBody(retellVendor.auth, at, API_KEY, body)).not.toThrow();
    // The same header six minutes later is stale; with another key it is wrong.
    expect(() => checkBeforeBody(retellVendor.auth, presented(SDK_VECTOR.timestamp + 360_000), API_KEY)).toThrow(
      /more than 300 s from now/,
    );
    expect(() => checkBody(retellVendor.auth, at, 'key_another0000000000000000000', body)).toThrow(
      'wrong webhook signature',
    );
    // This file's signer makes the SDK's signature byte for byte.
    expect(await retellSign(body.toString('utf8'), API_KEY, SDK_VECTOR.timestamp)).toBe(SDK_VECTOR.header);
  });

  it('accepts a delivery signed as Retell signs it and stores it', async () => {
    const answer = await deliver('call-started');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({});
    expect(await t.inbox.findByKey('retell', `${MAIN_CALL}:call_started`)).toMatchObject({
      event_name: 'call_started',
      revision: 1,
    });
  });

  it('refuses with 401 a wrong signature, a stale timestamp, a body changed after signing and a missing header, storing nothing', async () => {
    const before = (await retellRows()).length;
    const body = fixtureText('retell', 'call-ended');
    const changed = body.replace('"duration_ms": 187420', '"duration_ms": 187421');
    expect(changed).not.toBe(body);
    expect(changed.length).toBe(body.length);
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['wrong key', body, { 'x-retell-signature': await retellSign(body, 'key_not_the_api_key_0000000000') }],
      ['stale by 6 minutes', body, { 'x-retell-signature': await retellSign(body, API_KEY, Date.now() - 360_000) }],
      ['one byte changed after signing', changed, { 'x-retell-signature': await retellSign(body, API_KEY) }],
      ['no header', body, {}],
      ['no digest', body, { 'x-retell-signature': `v=${Date.now()}` }],
    ];
    for (const [what, sent, headers] of attempts) {
      const answer = await postJson(url(), sent, headers);
      expect(answer.status, what).toBe(401);
      expect(answer.body, what).toMatchObject({ error: { code: 'unauthorized' } });
      // The answer names the problem, never the key or the expected digest.
      expect(JSON.stringify(answer.body), what).not.toContain(API_KEY);
    }
    expect(await retellRows()).toHaveLength(before);
    expect(await t.inbox.findByKey('retell', `${MAIN_CALL}:call_ended`)).toBeUndefined();
  });
});

describe('Retell deliveries', () => {
  it('stores one event for the same event delivered twice, also at once, each delivery signed anew', async () => {
    const before = (await retellRows()).length;
    const answers = await Promise.all([deliver('transfer-started'), deliver('transfer-started')]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect((await deliver('transfer-started')).status).toBe(200);
    expect(await retellRows()).toHaveLength(before + 1);
    expect(await t.inbox.findByKey('retell', `${MAIN_CALL}:transfer_started`)).toMatchObject({ revision: 1 });
  });

  it('gives one HubSpot call with both events’ data when call_analyzed arrives before call_ended', async () => {
    expect((await deliver('call-analyzed')).status).toBe(200);
    await t.settled();
    const [first] = callsWithKey(`retell:${MAIN_CALL}`);
    expect(first?.properties['ai_call_summary']).toContain('rescheduled to Thursday');
    const updatesBefore = t.emulator.requestLog.filter((entry) => /calls\/batch\/update$/.test(entry.endpoint)).length;

    expect((await deliver('call-ended')).status).toBe(200);
    await t.settled();

    const calls = callsWithKey(`retell:${MAIN_CALL}`);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.id).toBe(first!.id);
    // call_ended was written to that same call, and took nothing of call_analyzed's away.
    expect(t.emulator.requestLog.filter((entry) => /calls\/batch\/update$/.test(entry.endpoint)).length).toBe(
      updatesBefore + 1,
    );
    const rows = await Promise.all(
      ['call_started', 'call_analyzed', 'call_ended'].map((event) =>
        t.inbox.findByKey('retell', `${MAIN_CALL}:${event}`),
      ),
    );
    for (const row of rows) expect(row).toMatchObject({ status: 'synced', hubspot_call_id: first!.id });

    const call = calls[0]!.properties;
    expect(call).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      // Outbound: from Retell's line to the customer, both E.164.
      hs_call_from_number: '+14157774444',
      hs_call_to_number: '+12137774445',
      // HubSpot's duration is in milliseconds: Retell's duration_ms as sent.
      hs_call_duration: '187420',
      hs_call_status: 'COMPLETED',
      hs_call_disposition: DEFAULT_OUTCOMES['connected'],
      hs_call_recording_url: 'https://dxc03zgurdly9.cloudfront.net/call_9f2c4e8a71b3d05c6e2a8f41d7b9/recording.wav',
      hs_call_title: 'Retell AI call with María González (Brightside Dental – appointment reminders)',
      ai_call_vendor: 'Retell AI',
      ai_call_intention: 'A',
      ai_call_summary: expect.stringContaining('asked whether her new Delta Dental plan is accepted') as unknown,
    });
    // start_timestamp (epoch ms) as the call's UTC time.
    expect(instant(call['hs_timestamp'])).toBe('2025-11-25T16:30:12.418Z');
    expect(call['ai_call_tags']!.split(';').sort()).toEqual(['insurance question', 'rescheduled']);
    expect(call['ai_call_answers']).toContain('new_appointment: Thursday 4:15 PM');
    expect(call['ai_call_answers']).toContain('insurance_provider: Delta Dental');
    expect(call['hs_call_body']).toContain('<b>Sentiment:</b> Positive');
    expect(call['hs_call_body']).toContain('<b>Successful:</b> true');
    expect(call['hs_call_body']).toContain('<b>Hung up by:</b> customer (user_hangup)');

    const contacts = t.emulator
      .listObjects('contacts')
      .filter((contact) => contact.properties['ai_call_phone_e164'] === '+12137774445');
    expect(contacts).toHaveLength(1);
    expect(contacts[0]!.properties['firstname']).toBe('María González');
    expect(calls[0]!.associations.contacts).toEqual([contacts[0]!.id]);
  });

  it('logs a call that never connected (call_ended and call_analyzed, no call_started) as not answered', async () => {
    for (const name of ['no-answer-call-ended', 'no-answer-call-analyzed'])
      expect((await deliver(name)).status).toBe(200);
    await t.settled();
    const calls = callsWithKey('retell:call_1d7e3a9b5c0f4826a3e1b9d7c5f2');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.properties).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_to_number: '+13125557788',
      hs_call_status: 'NO_ANSWER',
      hs_call_disposition: DEFAULT_OUTCOMES['no-answer'],
      ai_call_summary: 'The call was not answered.',
    });
    // Retell sends no duration for a call that never connected: none is written.
    expect(calls[0]!.properties['hs_call_duration'] ?? '').toBe('');
    expect(instant(calls[0]!.properties['hs_timestamp'])).toBe('2025-11-25T16:45:01.250Z');
  });

  it('logs an inbound call on the caller, whose number came in national format, in E.164', async () => {
    expect((await deliver('inbound-national-number-call-ended')).status).toBe(200);
    await t.settled();
    const [call] = callsWithKey('retell:call_c83f1a6e2b9d4075e1a3c8b6d0f4');
    expect(call?.properties).toMatchObject({
      hs_call_direction: 'INBOUND',
      hs_call_from_number: '+16502530000',
      hs_call_to_number: '+14155550134',
      hs_call_duration: '64250',
    });
    const [record] = await recordsOf('call_c83f1a6e2b9d4075e1a3c8b6d0f4:call_ended');
    expect(record!.customer.phone).toEqual({ e164: '+16502530000', raw: '(650) 253-0000' });
    expect(
      t.emulator
        .listObjects('contacts')
        .filter((contact) => contact.properties['ai_call_phone_e164'] === '+16502530000'),
    ).toHaveLength(1);
  });

  it('hands a web call, which has no number, to the callsWithoutPhone policy (dead-lettered by default)', async () => {
    expect((await deliver('web-call-analyzed')).status).toBe(200);
    await t.settled();
    expect(await t.inbox.findByKey('retell', 'call_6b0a2d8f4e1c7a93b5d2e0f8c4a6:call_analyzed')).toMatchObject({
      status: 'dead',
      last_error: 'the call has no valid customer phone number, so no contact to log it on',
    });
    expect(callsWithKey('retell:call_6b0a2d8f4e1c7a93b5d2e0f8c4a6')).toHaveLength(0);
  });

  it('stores a transfer event and acknowledges it without writing to HubSpot', async () => {
    await t.settled();
    expect(await t.inbox.findByKey('retell', `${MAIN_CALL}:transfer_started`)).toMatchObject({ status: 'skipped' });
    expect(callsWithKey(`retell:${MAIN_CALL}`)).toHaveLength(1);
  });

  it('logs none of the API key, the signatures, the numbers, the names or the summaries it handled', async () => {
    await t.settled();
    const logged = JSON.stringify(t.logs);
    expect(t.logs.length).toBeGreaterThan(10);
    for (const secret of [API_KEY, ',d=', '+12137774445', '2137774445', '650) 253', 'María', 'Derek', 'Delta Dental'])
      expect(logged, secret).not.toContain(secret);
  });

  it('refuses a signed delivery that is not a Retell event with a 400 naming the field, storing nothing', async () => {
    const before = (await retellRows()).length;
    const body = JSON.stringify({ event: 'call_ended', call: { direction: 'inbound' } });
    const answer = await postJson(url(), body, { 'x-retell-signature': await retellSign(body, API_KEY) });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('call.call_id');
    expect(await retellRows()).toHaveLength(before);
  });
});
