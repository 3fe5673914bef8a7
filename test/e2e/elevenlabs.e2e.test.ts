import { UnverifiedBodies } from '../../src/webhooks/unverified-bodies.js';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerRepository } from '../../src/store/ledger.repository.js';
import type { CallRecord } from '../../src/vendors/call-record.js';
import { fixture } from '../support/fixtures.js';
import { postJson, REPO_DIR, startTestApp, VOICEFOX_SECRET, type TestApp } from '../support/test-app.js';

/**
 * ElevenLabs Agents through HTTP on the built app, with the HubSpot emulator: the signature, dedupe, the documented
 * fields with HubSpot's units, the audio webhook's size, and the audio and transcription of one conversation in
 * either order giving one call.
 */

// An ElevenLabs webhook secret has this form (`wsec_` and 64 hex digits).
const SECRET = `wsec_${'8f3c2a1d'.repeat(8)}`;

/**
 * The shipped mapping, with the outbound agent's data-collection ids as the intention and the tags, and a title that
 * says when the conversation's audio was received (`extras.audio_note`, from the audio event).
 */
const shipped = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
// The ElevenLabs section's keys are changed, not another vendor's with the same defaults.
const section = shipped.indexOf('\n  elevenlabs:\n');
const elevenlabsSection = shipped
  .slice(section)
  .replace(/^(\s+)intention: intention\b.*$/m, '$1intention: lead_temperature')
  .replace(/^(\s+)tags: tags\b.*$/m, '$1tags: topics')
  .replace(
    /^(\s+)intentions: \{\}(\s+# the intention's collected value.*)$/m,
    '$1intentions: { hot: A, warm: B, cold: C }',
  );
const mappingYaml = (shipped.slice(0, section) + elevenlabsSection).replace(
  /^(\s+)title: .*$/m,
  '$1title: "AI call ({{vendorName}}{{#if direction}}, {{direction}}{{/if}}){{#if extras.audio_note}} · audio kept by ElevenLabs{{/if}}"',
);

let t: TestApp;
beforeAll(async () => {
  expect(mappingYaml).toContain('intention: lead_temperature');
  expect(mappingYaml).toContain('tags: topics');
  expect(mappingYaml).toContain('intentions: { hot: A, warm: B, cold: C }');
  expect(mappingYaml).toContain('audio kept by ElevenLabs');
  t = await startTestApp({ env: { ELEVENLABS_WEBHOOK_SECRET: SECRET }, mappingYaml });
});
afterAll(async () => {
  await t.close();
});

/**
 * `ElevenLabs-Signature` as ElevenLabs makes it, and as elevenlabs-js' `constructEvent` (src/wrapper/webhooks.ts)
 * checks it: `t=<epoch s>,v0=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 */
function signature(body: string, at = Math.floor(Date.now() / 1000), secret = SECRET): string {
  return `t=${at},v0=${createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')}`;
}

const url = () => `${t.url}/webhooks/elevenlabs`;
const post = (body: string, headers: Record<string, string>) => postJson(url(), body, headers);
const postSigned = (body: string) => post(body, { 'elevenlabs-signature': signature(body) });

/** A fixture with its conversation id replaced, as the exact text that is signed and sent. */
function delivery(name: string, conversationId?: string): string {
  const body = fixture<{ data: Record<string, unknown> }>('elevenlabs', name);
  if (conversationId) body.data['conversation_id'] = conversationId;
  return JSON.stringify(body);
}

function audioDelivery(conversationId: string, bytes: Buffer): string {
  return JSON.stringify({
    type: 'post_call_audio',
    event_timestamp: Math.floor(Date.now() / 1000),
    data: {
      agent_id: 'agent_01jx9r3c7e2f8w5q0m4t6v1b3n',
      conversation_id: conversationId,
      full_audio: bytes.toString('base64'),
    },
  });
}

const callsOf = (conversationId: string) =>
  t.emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === `elevenlabs:${conversationId}`);

async function ledgerRecord(conversationId: string): Promise<CallRecord> {
  const rows = await t.app.get(LedgerRepository).calls([`elevenlabs:${conversationId}`]);
  return JSON.parse(rows.get(`elevenlabs:${conversationId}`)!.record!) as CallRecord;
}

const instant = (value: string) => new Date(/^\d+$/.test(value) ? Number(value) : value).toISOString();

describe('ElevenLabs: the signature', () => {
  it('accepts a signed transcription and logs the call: INBOUND, ms duration, UTC time, E.164 numbers, summary', async () => {
    const answer = await postSigned(delivery('transcription-inbound'));
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ received: 1, stored: 1, duplicates: 0 });
    await t.settled();

    const row = await t.inbox.findByKey('elevenlabs', 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc:post_call_transcription');
    expect(row).toMatchObject({ status: 'synced', event_name: 'post_call_transcription' });
    const calls = callsOf('conv_01jxk7w2d9f3q8m4t6v0b5n2hc');
    expect(calls).toHaveLength(1);
    const call = calls[0]!.properties;
    expect(call).toMatchObject({
      hs_call_direction: 'INBOUND',
      hs_call_duration: '187000',
      hs_call_status: 'COMPLETED',
      hs_call_from_number: '+12125550143',
      hs_call_to_number: '+14155550132',
      ai_call_vendor: 'ElevenLabs',
      ai_call_summary:
        'A new patient called to book a cleaning. The agent offered Tuesday 10:30 or Thursday 2:15; the caller took Thursday 2:15.',
      hs_call_title: 'AI call (ElevenLabs, inbound)',
    });
    expect(instant(call['hs_timestamp']!)).toBe('2026-01-01T09:15:05.000Z');
    expect(call['hs_call_body']).toContain('<b>Successful:</b> success');
    expect(call['hs_call_body']).toContain(
      '<li><b>appointment_booked</b> success: The caller chose the Thursday 2:15 slot and the agent confirmed it.</li>',
    );
    const contact = t.emulator.getObject('contacts', calls[0]!.associations.contacts![0]!);
    expect(contact!.properties['ai_call_phone_e164']).toBe('+12125550143');
  });

  it('refuses a wrong signature, a stale or future timestamp, an altered body and a missing header with 401, storing nothing', async () => {
    const before = (await t.inbox.list({ vendor: 'elevenlabs' })).length;
    const now = Math.floor(Date.now() / 1000);
    const body = delivery('transcription-inbound', 'conv_refused_0001');
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['wrong secret', body, { 'elevenlabs-signature': signature(body, now, `wsec_${'0'.repeat(64)}`) }],
      ['6 minutes old', body, { 'elevenlabs-signature': signature(body, now - 360) }],
      // elevenlabs-js takes any future timestamp; the window here is 5 minutes either way.
      ['6 minutes ahead', body, { 'elevenlabs-signature': signature(body, now + 360) }],
      [
        'one byte changed after signing',
        body.replace('"call_duration_secs":187', '"call_duration_secs":188'),
        { 'elevenlabs-signature': signature(body, now) },
      ],
      ['no signature header', body, {}],
      ['no v0 in the header', body, { 'elevenlabs-signature': `t=${now}` }],
    ];
    expect(attempts[3]![1]).not.toBe(body);
    expect(attempts[3]![1].length).toBe(body.length);
    for (const [what, text, headers] of attempts) {
      const answer = await post(text, headers);
      expect(answer.status, what).toBe(401);
      expect(JSON.stringify(answer.body), what).toMatch(/signature/);
    }
    expect((await t.inbox.list({ vendor: 'elevenlabs' })).length).toBe(before);
    expect(await t.inbox.findByKey('elevenlabs', 'conv_refused_0001:post_call_transcription')).toBeUndefined();
    expect(callsOf('conv_refused_0001')).toHaveLength(0);
  });

  it('stores the same event delivered twice (each delivery signed anew) once', async () => {
    const body = delivery('transcription-web-widget');
    expect((await postSigned(body)).body).toEqual({ received: 1, stored: 1, duplicates: 0 });
    expect(
      (await post(body, { 'elevenlabs-signature': signature(body, Math.floor(Date.now() / 1000) - 5) })).body,
    ).toEqual({ received: 1, stored: 0, duplicates: 1 });
    const rows = (await t.inbox.list({ vendor: 'elevenlabs' })).filter((row) =>
      row.event_key.startsWith('conv_01jxn0c2e4g6j8l0n2q4s6u8w0:'),
    );
    expect(rows).toHaveLength(1);
    await t.settled();
    // A web-widget conversation has no phone number: with the shipped callsWithoutPhone it is dead-lettered.
    expect(
      await t.inbox.findByKey('elevenlabs', 'conv_01jxn0c2e4g6j8l0n2q4s6u8w0:post_call_transcription'),
    ).toMatchObject({
      status: 'dead',
      last_error: 'the call has no valid customer phone number, so no contact to log it on',
    });
    expect(callsOf('conv_01jxn0c2e4g6j8l0n2q4s6u8w0')).toHaveLength(0);
  });
});

describe('ElevenLabs: the documented fields in HubSpot', () => {
  it('logs an outbound call with intention, tags and answers from the data-collection ids the mapping names', async () => {
    expect((await postSigned(delivery('transcription-outbound-collect'))).status).toBe(200);
    await t.settled();
    const [call] = callsOf('conv_01jxm4p6r8t0v2x4z6b8d0f2h4');
    expect(call!.properties).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_duration: '312000',
      hs_call_from_number: '+14155550132',
      hs_call_to_number: '+13125550178',
      ai_call_intention: 'A',
      ai_call_tags: 'pricing;demo request',
      ai_call_campaign: 'btcal_01jxm3z9k7h5f3d1b9z7x5v3t1',
      ai_call_rounds: '5',
    });
    expect(instant(call!.properties['hs_timestamp']!)).toBe('2026-01-02T09:00:00.000Z');
    expect(call!.properties['ai_call_answers']).toBe(
      'Annual budget in USD: 12000\nDoes the contact want a call back?: true\nWho signs off the purchase: —',
    );
    expect(call!.properties['hs_call_body']).toContain(
      '<li><b>Annual budget in USD</b> 12000 <i>(The contact said about twelve thousand.)</i></li>',
    );
    const contact = t.emulator.getObject('contacts', call!.associations.contacts![0]!);
    expect(contact!.properties).toMatchObject({
      ai_call_phone_e164: '+13125550178',
      firstname: 'Dana Whitfield',
      company: 'Northwind Traders',
    });
  });

  it('logs a number sent without its + as E.164, and a call without analysis', async () => {
    expect((await postSigned(delivery('transcription-national-number'))).status).toBe(200);
    await t.settled();
    const [call] = callsOf('conv_01jxp8s0u2w4y6a8c0e2g4j6l8');
    expect(call!.properties).toMatchObject({
      hs_call_direction: 'INBOUND',
      hs_call_duration: '9000',
      hs_call_from_number: '+442079460958',
      hs_call_to_number: '+14155550132',
    });
    expect(call!.properties['ai_call_summary'] ?? '').toBe('');
  });

  it('logs a busy call_initiation_failure as a BUSY outbound call of 0 ms on the called number', async () => {
    expect((await postSigned(delivery('call-initiation-failure-twilio'))).status).toBe(200);
    await t.settled();
    const [call] = callsOf('conv_01jxq2v4x6z8b0d2f4h6k8m0p2');
    expect(call!.properties).toMatchObject({
      hs_call_direction: 'OUTBOUND',
      hs_call_status: 'BUSY',
      hs_call_duration: '0',
      hs_call_from_number: '+14155550132',
      hs_call_to_number: '+16175550112',
    });
    expect(instant(call!.properties['hs_timestamp']!)).toBe('2026-01-02T15:00:12.000Z');
  });
});

describe('ElevenLabs: the audio webhook', () => {
  it('accepts 6 MiB of audio (8.4 MB of base64, sent chunked) with the default settings, and stores only its digest', async () => {
    const audio = randomBytes(6 * 1024 * 1024);
    const body = audioDelivery('conv_01jxk7w2d9f3q8m4t6v0b5n2hc', audio);
    expect(body.length).toBeGreaterThan(8_000_000);
    // As ElevenLabs sends it: `transfer-encoding: chunked`, no Content-Length.
    const chunks = Buffer.from(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < chunks.length; at += 64 * 1024) controller.enqueue(chunks.subarray(at, at + 64 * 1024));
        controller.close();
      },
    });
    const response = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'elevenlabs-signature': signature(body) },
      body: stream,
      duplex: 'half',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: 1, stored: 1, duplicates: 0 });

    const row = await t.inbox.findByKey('elevenlabs', 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc:post_call_audio');
    // The stored payload is the audio's size and SHA-256, not 8 MB of base64.
    expect(row!.payload.length).toBeLessThan(1_000);
    expect(JSON.parse(row!.payload)).toMatchObject({
      data: {
        conversation_id: 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc',
        full_audio: { bytes: audio.length, sha256: createHash('sha256').update(audio).digest('hex') },
      },
    });

    // It updates the conversation's call, created by its transcription: still one call, now saying so.
    await t.settled();
    expect(await t.inbox.findByKey('elevenlabs', 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc:post_call_audio')).toMatchObject({
      status: 'synced',
    });
    const calls = callsOf('conv_01jxk7w2d9f3q8m4t6v0b5n2hc');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.properties).toMatchObject({
      hs_call_title: 'AI call (ElevenLabs, inbound) · audio kept by ElevenLabs',
      hs_call_duration: '187000',
      hs_call_from_number: '+12125550143',
    });
  });

  it('refuses a VoiceFox body over 1 MiB with 413: other vendors keep their limit', async () => {
    const oversize = JSON.stringify({
      event_name: 'callin.collect',
      event_data: { session_id: 'vf-oversize', extra: { note: 'x'.repeat(1024 * 1024) } },
    });
    const answer = await postJson(`${t.url}/webhooks/voicefox`, oversize, {
      authorization: `Bearer ${VOICEFOX_SECRET}`,
    });
    expect(answer.status).toBe(413);
    expect(await t.inbox.findByKey('voicefox', 'vf-oversize:callin.collect')).toBeUndefined();
  });

  it('gives one call when the audio arrives before the transcription: the audio waits, then joins the call', async () => {
    const conversation = 'conv_01jxr6a8c0e2g4j6l8n0q2s4u6';
    const audio = randomBytes(256 * 1024);
    expect((await postSigned(audioDelivery(conversation, audio))).status).toBe(200);
    await t.settled();
    // The audio alone never makes a call.
    expect(callsOf(conversation)).toHaveLength(0);
    expect(await t.inbox.findByKey('elevenlabs', `${conversation}:post_call_audio`)).toMatchObject({
      status: 'skipped',
    });

    expect((await postSigned(delivery('transcription-outbound-collect', conversation))).status).toBe(200);
    await t.settled();
    const calls = callsOf(conversation);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.properties).toMatchObject({
      hs_call_title: 'AI call (ElevenLabs, outbound) · audio kept by ElevenLabs',
      hs_call_direction: 'OUTBOUND',
      hs_call_duration: '312000',
      ai_call_intention: 'A',
    });
    const record = await ledgerRecord(conversation);
    expect(record.extras['audio']).toMatchObject({
      bytes: audio.length,
      sha256: createHash('sha256').update(audio).digest('hex'),
      source: `GET /v1/convai/conversations/${conversation}/audio`,
    });
    expect(record.eventName).toBe('post_call_transcription');
    // The built-in call body says that audio exists, and where ElevenLabs serves it, without any template.
    expect(calls[0]!.properties['hs_call_body']).toContain(
      `<b>Audio:</b> MP3 received (0.3 MB), kept by the vendor: GET /v1/convai/conversations/${conversation}/audio`,
    );
  });
});

describe('ElevenLabs: what unsigned bodies may hold', () => {
  it('takes a transcript of more than 1,000 turns (a long call), which other vendors would refuse as too wide', async () => {
    const body = fixture<{ data: Record<string, unknown> }>('elevenlabs', 'transcription-inbound');
    body.data['conversation_id'] = 'conv_01jxt0long0000000000000000';
    body.data['transcript'] = Array.from({ length: 1_500 }, (_, index) => ({
      role: index % 2 === 0 ? 'agent' : 'user',
      message: index % 2 === 0 ? 'Is Thursday at four still good for you?' : 'Yes, that works.',
      time_in_call_secs: index,
    }));
    const text = JSON.stringify(body);
    expect((await postSigned(text)).status).toBe(200);
    expect(
      await t.inbox.findByKey('elevenlabs', 'conv_01jxt0long0000000000000000:post_call_transcription'),
    ).toBeDefined();
  });

  it('refuses a signed body with 503 once unverified bodies hold WEBHOOK_UNVERIFIED_BYTES, and gives the bytes back', async () => {
    const small = await startTestApp({
      env: { ELEVENLABS_WEBHOOK_SECRET: SECRET, WEBHOOK_UNVERIFIED_BYTES: String(1024 * 1024), SYNC_ENABLED: 'false' },
    });
    try {
      const budget = small.app.get(UnverifiedBodies);
      const audio = audioDelivery('conv_01jxt0budget00000000000000', randomBytes(1536 * 1024));
      // A fresh timestamp and a signature that is wrong: read (it cannot be judged before), then refused.
      const refused = await postJson(`${small.url}/webhooks/elevenlabs`, audio, {
        'elevenlabs-signature': signature(audio, undefined, 'wsec_not_the_secret_0123456789'),
      });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: { code: 'busy' } });
      expect(budget.refused).toBe(1);
      expect(budget.bytes).toBe(0);
      expect(
        await small.inbox.findByKey('elevenlabs', 'conv_01jxt0budget00000000000000:post_call_audio'),
      ).toBeUndefined();
      // What a refused or finished read held is given back: a signed delivery under the budget is taken.
      const transcription = delivery('transcription-inbound', 'conv_01jxt0budget00000000000000');
      const taken = await postJson(`${small.url}/webhooks/elevenlabs`, transcription, {
        'elevenlabs-signature': signature(transcription),
      });
      expect(taken.status).toBe(200);
      expect(budget.bytes).toBe(0);
    } finally {
      await small.close();
    }
  });
});
