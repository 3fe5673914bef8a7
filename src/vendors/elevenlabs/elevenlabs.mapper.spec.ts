import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { PayloadValidationError } from '../../common/payload-validation.js';
import { mergeCallRecords } from '../../mapping/call-record-merge.js';
import type { CallRecord } from '../call-record.js';
import { DEFAULT_ANALYSIS_KEYS, type MappingContext } from '../vendor-mapper.js';
import { ElevenLabsMapper, readPhone } from './elevenlabs.mapper.js';
import { ElevenLabsWebhook } from './elevenlabs.webhook.js';

const mapper = new ElevenLabsMapper();
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const webhook = new ElevenLabsWebhook();

/** The vendor's defaults: epoch times (UTC), US numbers, no intention table, the default analysis keys. */
function context(overrides: Partial<MappingContext> = {}): MappingContext {
  return {
    timeZone: 'UTC',
    defaultRegion: 'US',
    intentionLabels: {},
    analysisKeys: DEFAULT_ANALYSIS_KEYS,
    now: () => new Date('2026-01-03T00:00:00Z'),
    ...overrides,
  };
}

/** A payload as the worker sees it: split by the webhook (the audio stored without its MP3), then mapped. */
function mapDelivery(body: Record<string, unknown>, ctx: MappingContext = context()) {
  const [item] = webhook.split(body);
  return mapper.map({ eventName: item!.eventName, payload: item!.payload }, ctx);
}

function mapOne(body: Record<string, unknown>, ctx?: MappingContext): CallRecord {
  const result = mapDelivery(body, ctx);
  if (result.kind !== 'records') throw new Error(`expected records, got skipped: ${result.reason}`);
  expect(result.records).toHaveLength(1);
  return result.records[0]!;
}

describe('ElevenLabsMapper: post_call_transcription', () => {
  it('maps an inbound phone call: E.164 numbers, epoch seconds in UTC, talk time, summary, success, evaluation', () => {
    const record = mapOne(fixture('elevenlabs', 'transcription-inbound'));
    expect(record).toEqual<CallRecord>({
      vendor: 'elevenlabs',
      vendorCallId: 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc',
      eventKind: 'collect',
      eventName: 'post_call_transcription',
      direction: 'inbound',
      customer: { phone: { e164: '+12125550143', raw: '+12125550143' }, name: null, email: null, company: null },
      linePhone: { e164: '+14155550132', raw: '+14155550132' },
      startedAt: '2026-01-01T09:15:05.000Z',
      answeredAt: '2026-01-01T09:15:05.000Z',
      endedAt: '2026-01-01T09:18:12.000Z',
      durationSeconds: 187,
      talkSeconds: 187,
      ringSeconds: null,
      outcome: 'answered',
      hangup: { side: 'customer', reason: 'Call ended by remote party' },
      recordingUrl: null,
      intention: null,
      tags: [],
      answers: [],
      analysis: [
        {
          title: 'appointment_booked',
          result: 'success: The caller chose the Thursday 2:15 slot and the agent confirmed it.',
        },
        { title: 'insurance_asked', result: "failure: The agent did not ask for the caller's dental insurance." },
      ],
      campaign: null,
      script: { id: 'agent_01jx9r3c7e2f8w5q0m4t6v1b3n', name: 'Harbor Dental front desk' },
      account: null,
      location: null,
      score: null,
      rounds: 4,
      summary:
        'A new patient called to book a cleaning. The agent offered Tuesday 10:30 or Thursday 2:15; the caller took Thursday 2:15.',
      sentiment: null,
      success: 'success',
      extras: {
        agent_id: 'agent_01jx9r3c7e2f8w5q0m4t6v1b3n',
        user_id: null,
        status: 'done',
        call_summary_title: 'New patient books a cleaning',
        main_language: 'en',
        phone_call_type: 'twilio',
        call_sid: 'CA2f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c',
        has_audio: true,
        dynamic_variables: {
          system__caller_id: '+12125550143',
          system__called_number: '+14155550132',
          system__call_sid: 'CA2f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c',
          system__conversation_id: 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc',
          system__agent_id: 'agent_01jx9r3c7e2f8w5q0m4t6v1b3n',
        },
      },
    });
  });

  it('maps an outbound call: the customer is the called number, the batch is the campaign, the name from variables', () => {
    const record = mapOne(fixture('elevenlabs', 'transcription-outbound-collect'));
    expect(record).toMatchObject({
      direction: 'outbound',
      customer: {
        phone: { e164: '+13125550178' },
        name: 'Dana Whitfield',
        email: null,
        company: 'Northwind Traders',
      },
      linePhone: { e164: '+14155550132' },
      startedAt: '2026-01-02T09:00:00.000Z',
      answeredAt: '2026-01-02T09:00:08.000Z',
      endedAt: '2026-01-02T09:05:12.000Z',
      talkSeconds: 312,
      hangup: { side: 'agent', reason: 'end_call tool was called.' },
      campaign: { id: 'btcal_01jxm3z9k7h5f3d1b9z7x5v3t1', name: null },
      success: 'success',
    });
  });

  it('with the default analysis keys, every collected value of a schema that names neither is an answer', () => {
    const record = mapOne(fixture('elevenlabs', 'transcription-outbound-collect'));
    expect(record.intention).toBeNull();
    expect(record.tags).toEqual([]);
    expect(record.answers.map((answer) => answer.questionId)).toEqual([
      'lead_temperature',
      'topics',
      'annual_budget_usd',
      'wants_callback',
      'decision_maker',
    ]);
  });

  it('reads the intention and tags from the ids analysisKeys names; every other id is an answer with its rationale', () => {
    const record = mapOne(
      fixture('elevenlabs', 'transcription-outbound-collect'),
      context({ analysisKeys: { intention: 'lead_temperature', tags: 'topics' }, intentionLabels: { hot: 'A' } }),
    );
    expect(record.intention).toEqual({ code: 'hot', label: 'A' });
    // A text of several tags is split, trimmed and deduplicated.
    expect(record.tags).toEqual(['pricing', 'demo request']);
    expect(record.answers).toEqual([
      {
        questionId: 'annual_budget_usd',
        question: 'Annual budget in USD',
        answer: '12000',
        hit: null,
        note: 'The contact said about twelve thousand.',
      },
      {
        questionId: 'wants_callback',
        question: 'Does the contact want a call back?',
        answer: 'true',
        hit: null,
        note: 'Asked for someone to show a demo.',
      },
      {
        questionId: 'decision_maker',
        question: 'Who signs off the purchase',
        answer: null,
        hit: null,
        note: 'Not discussed.',
      },
    ]);
  });

  it('maps a web-widget conversation without phone_call: no direction and no numbers, and no verdict for unknown', () => {
    const record = mapOne(fixture('elevenlabs', 'transcription-web-widget'));
    expect(record).toMatchObject({
      vendorCallId: 'conv_01jxn0c2e4g6j8l0n2q4s6u8w0',
      direction: null,
      customer: { phone: { e164: null, raw: null } },
      linePhone: { e164: null, raw: null },
      startedAt: '2026-01-02T10:54:50.000Z',
      talkSeconds: 24,
      outcome: 'answered',
      hangup: { side: 'customer', reason: 'Client disconnected: 1000' },
      success: null,
      summary: 'A website visitor asked about Saturday opening hours and was told nine to one.',
    });
    // A web call has no number to be wrong: no warning.
    expect(record.extras['warnings']).toBeUndefined();
  });

  it('reads a number without its + as E.164, a national one in the default region, and a call without analysis', () => {
    const record = mapOne(fixture('elevenlabs', 'transcription-national-number'));
    expect(record).toMatchObject({
      customer: { phone: { e164: '+442079460958', raw: '442079460958' } },
      linePhone: { e164: '+14155550132', raw: '1 (415) 555-0132' },
      // The start as text holding epoch seconds.
      startedAt: '2026-01-02T13:59:55.000Z',
      talkSeconds: 9,
      summary: null,
      success: null,
      intention: null,
      tags: [],
      answers: [],
      analysis: [],
      script: { id: 'agent_01jx9r3c7e2f8w5q0m4t6v1b3n', name: null },
    });
  });

  it('keeps a number that is not one as text, with a warning, and an unreadable start time as a warning', () => {
    const body = fixture<{ data: { metadata: Record<string, unknown> } }>('elevenlabs', 'transcription-inbound');
    body.data.metadata['start_time_unix_secs'] = -5;
    (body.data.metadata['phone_call'] as Record<string, unknown>)['external_number'] = 'anonymous caller';
    const record = mapOne(body);
    expect(record.customer.phone).toEqual({ e164: null, raw: 'anonymous caller' });
    expect(record.startedAt).toBeNull();
    expect(record.endedAt).toBeNull();
    expect(record.extras['warnings']).toEqual([
      'metadata.phone_call.external_number: not a valid phone number',
      'metadata.start_time_unix_secs: not a recognised time',
    ]);
  });

  it('falls back to the system variables for a phone call whose phone_call lacks the numbers', () => {
    const body = fixture<{ data: { metadata: Record<string, unknown> } }>('elevenlabs', 'transcription-inbound');
    body.data.metadata['phone_call'] = { direction: 'inbound', type: 'twilio' };
    const record = mapOne(body);
    expect(record.customer.phone.e164).toBe('+12125550143');
    expect(record.linePhone.e164).toBe('+14155550132');
  });

  it('calls a failed conversation failed, and one with no talk at all unanswered', () => {
    const body = fixture<{ data: Record<string, unknown> }>('elevenlabs', 'transcription-inbound');
    expect(mapOne({ ...body, data: { ...body.data, status: 'failed' } }).outcome).toBe('failed');
    const silent = { ...body.data, transcript: [], metadata: { call_duration_secs: 0 } };
    expect(mapOne({ ...body, data: silent }).outcome).toBe('no_answer');
  });

  it('refuses a transcription without a conversation id, naming the field', () => {
    const body = fixture<{ data: Record<string, unknown> }>('elevenlabs', 'transcription-inbound');
    delete body.data['conversation_id'];
    expect(() => webhook.split(body)).toThrow(PayloadValidationError);
    expect(() => webhook.split(body)).toThrow('data.conversation_id');
  });
});

describe('ElevenLabsMapper: post_call_audio', () => {
  const audio = Buffer.from('ID3\u0004\u0000fake mp3 frames for the test');
  const delivery = {
    type: 'post_call_audio',
    event_timestamp: 1767259110,
    data: {
      agent_id: 'agent_01jx9r3c7e2f8w5q0m4t6v1b3n',
      conversation_id: 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc',
      full_audio: audio.toString('base64'),
    },
  };

  it('stores the size and SHA-256 of the MP3 in place of the base64 audio, keyed by conversation', () => {
    const [item] = webhook.split(delivery);
    expect(item!.eventKey).toBe('conv_01jxk7w2d9f3q8m4t6v0b5n2hc:post_call_audio');
    expect(item!.payload).toEqual({
      type: 'post_call_audio',
      event_timestamp: 1767259110,
      data: {
        agent_id: 'agent_01jx9r3c7e2f8w5q0m4t6v1b3n',
        conversation_id: 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc',
        full_audio: {
          bytes: audio.length,
          // Of the MP3's bytes, not of their base64 text.
          sha256: sha256(audio),
        },
      },
    });
  });

  it('maps to a record that carries the audio and nothing else, so that it never erases the transcription', () => {
    const record = mapOne(delivery);
    expect(record).toMatchObject({
      vendorCallId: 'conv_01jxk7w2d9f3q8m4t6v0b5n2hc',
      eventKind: 'result',
      eventName: 'post_call_audio',
      direction: null,
      customer: { phone: { e164: null, raw: null } },
      outcome: null,
      summary: null,
    });
    expect(record.extras).toEqual({
      audio: {
        format: 'mp3',
        bytes: audio.length,
        sha256: sha256(audio),
        source: 'GET /v1/convai/conversations/conv_01jxk7w2d9f3q8m4t6v0b5n2hc/audio',
      },
      audio_note:
        'MP3 audio of the call received (0.0 MB); ElevenLabs keeps it: GET /v1/convai/conversations/conv_01jxk7w2d9f3q8m4t6v0b5n2hc/audio',
    });

    // Whichever arrives first, the call keeps the transcription's data and gains the audio.
    const transcription = mapOne(fixture('elevenlabs', 'transcription-inbound'));
    for (const merged of [mergeCallRecords(record, transcription), mergeCallRecords(transcription, record)]) {
      expect(merged).toMatchObject({
        eventName: 'post_call_transcription',
        direction: 'inbound',
        customer: { phone: { e164: '+12125550143' } },
        talkSeconds: 187,
        summary: transcription.summary,
        analysis: transcription.analysis,
      });
      expect(merged.extras['audio']).toEqual(record.extras['audio']);
      expect(merged.extras['has_audio']).toBe(true);
    }
  });

  it('refuses audio that is not base64, and a stored audio event whose digest is malformed', () => {
    expect(() => webhook.split({ ...delivery, data: { ...delivery.data, full_audio: 'not base64!' } })).toThrow(
      'data.full_audio: must be base64',
    );
    expect(() =>
      mapper.map(
        {
          eventName: 'post_call_audio',
          payload: { ...delivery, data: { ...delivery.data, full_audio: { bytes: 3, sha256: 'abc' } } },
        },
        context(),
      ),
    ).toThrow('data.full_audio.sha256');
  });
});

describe('ElevenLabsMapper: call_initiation_failure', () => {
  it('maps a busy Twilio attempt to a busy outbound call on the called number, at the event time, 0 s talked', () => {
    const record = mapOne(fixture('elevenlabs', 'call-initiation-failure-twilio'));
    expect(record).toMatchObject({
      vendorCallId: 'conv_01jxq2v4x6z8b0d2f4h6k8m0p2',
      eventKind: 'hangup',
      eventName: 'call_initiation_failure',
      direction: 'outbound',
      customer: { phone: { e164: '+16175550112', raw: '+16175550112' } },
      linePhone: { e164: '+14155550132' },
      startedAt: null,
      endedAt: '2026-01-02T15:00:12.000Z',
      talkSeconds: 0,
      outcome: 'busy',
      hangup: { side: null, reason: 'busy' },
    });
    expect(record.extras).toMatchObject({
      failure_reason: 'busy',
      provider: 'twilio',
      call_sid: 'CA7d6c5b4a39281706f5e4d3c2b1a09f8e',
      call_status: 'busy',
      sip_response_code: '486',
    });
  });

  it('maps an unanswered SIP attempt whose number is a JSON number, with the SIP error as the reason', () => {
    const record = mapOne(fixture('elevenlabs', 'call-initiation-failure-sip'));
    expect(record).toMatchObject({
      direction: 'outbound',
      customer: { phone: { e164: '+13125550186', raw: '13125550186' } },
      linePhone: { e164: '+14155550132' },
      outcome: 'no_answer',
      hangup: { reason: 'INVITE failed: sip status: 480: Temporarily Unavailable (SIP 480)' },
    });
    expect(record.extras).toMatchObject({ provider: 'sip', sip_status_code: '480' });
  });

  it('calls an unknown failure failed, unless Twilio says busy or no-answer', () => {
    const body = fixture<{ data: Record<string, unknown> }>('elevenlabs', 'call-initiation-failure-twilio');
    expect(mapOne({ ...body, data: { ...body.data, failure_reason: 'unknown' } }).outcome).toBe('busy');
    const metadata = body.data['metadata'] as { body: Record<string, unknown> };
    const failed = { ...metadata, body: { ...metadata.body, CallStatus: 'failed' } };
    expect(mapOne({ ...body, data: { ...body.data, failure_reason: 'unknown', metadata: failed } }).outcome).toBe(
      'failed',
    );
  });

  it('stores and skips a failure without provider metadata: it names no one to log it on', () => {
    const body = fixture<{ data: Record<string, unknown> }>('elevenlabs', 'call-initiation-failure-twilio');
    const result = mapDelivery({ ...body, data: { ...body.data, metadata: null } });
    expect(result).toEqual({
      kind: 'skipped',
      reason: 'call_initiation_failure without the called number (no Twilio or SIP metadata): no one to log it on',
    });
  });

  it("refuses a Twilio body whose fields are not Twilio's, naming the field", () => {
    const body = fixture<{ data: { metadata: { body: Record<string, unknown> } } }>(
      'elevenlabs',
      'call-initiation-failure-twilio',
    );
    body.data.metadata.body['To'] = { nested: true };
    expect(() => webhook.split(body)).toThrow('data.metadata.body.To');
  });
});

describe('ElevenLabsMapper: other events', () => {
  it('stores and skips an event type that carries no call, keyed by its content', () => {
    const body = { type: 'voice_removal_notice', event_timestamp: 1767259110, data: { voice_id: 'v1' } };
    const [item] = webhook.split(body);
    expect(item!.eventKey).toMatch(/^voice_removal_notice:[0-9a-f]+$/);
    expect(mapDelivery(body)).toEqual({ kind: 'skipped', reason: 'event voice_removal_notice carries no call' });
  });

  it('refuses a body without a type or without data', () => {
    expect(() => webhook.split({ event_timestamp: 1, data: {} })).toThrow('type');
    expect(() => webhook.split({ type: 'post_call_transcription', event_timestamp: 1 })).toThrow('data');
  });
});

describe('readPhone', () => {
  it.each([
    ['+12125550143', '+12125550143'],
    ['(212) 555-0143', '+12125550143'],
    ['442079460958', '+442079460958'],
    [13125550186, '+13125550186'],
    ['0207 946 0958', null],
    ['anonymous', null],
  ])('reads %j as %j', (value, e164) => {
    expect(readPhone(value, 'US').e164).toBe(e164);
  });
});
