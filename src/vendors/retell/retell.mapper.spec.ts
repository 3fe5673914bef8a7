import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { PayloadValidationError } from '../../common/payload-validation.js';
import { mergeCallRecords } from '../../mapping/call-record-merge.js';
import type { CallRecord } from '../call-record.js';
import { DEFAULT_ANALYSIS_KEYS, type MappingContext } from '../vendor-mapper.js';
import { RetellMapper } from './retell.mapper.js';

const mapper = new RetellMapper();
type Delivery = { event?: string; event_type?: string; call: Record<string, unknown> };

/** The vendor's defaults (UTC, US numbers) with an intention table as an admin might write it. */
const retellContext = (overrides: Partial<MappingContext> = {}): MappingContext => ({
  timeZone: 'UTC',
  defaultRegion: 'US',
  intentionLabels: { hot: 'A', warm: 'B' },
  analysisKeys: DEFAULT_ANALYSIS_KEYS,
  now: () => new Date('2025-11-26T00:00:00Z'),
  ...overrides,
});

const mapDelivery = (payload: unknown, context = retellContext()): CallRecord => {
  const body = payload as Delivery;
  const result = mapper.map({ eventName: String(body.event ?? body.event_type), payload }, context);
  if (result.kind !== 'records') throw new Error(`expected records, got skipped: ${result.reason}`);
  expect(result.records).toHaveLength(1);
  return result.records[0]!;
};
const mapFixture = (name: string, context?: MappingContext) => mapDelivery(fixture('retell', name), context);
const withCall = (name: string, changes: Record<string, unknown>): Delivery => {
  const body = fixture<Delivery>('retell', name);
  return { ...body, call: { ...body.call, ...changes } };
};

const MAIN_CALL = 'call_9f2c4e8a71b3d05c6e2a8f41d7b9';

describe('RetellMapper', () => {
  it('maps call_analyzed: E.164 numbers by direction, epoch ms in UTC, ms duration, outcome, analysis and custom data', () => {
    expect(mapFixture('call-analyzed')).toEqual<CallRecord>({
      vendor: 'retell',
      vendorCallId: MAIN_CALL,
      eventKind: 'collect',
      eventName: 'call_analyzed',
      direction: 'outbound',
      // Outbound: the customer is to_number, Retell's line from_number.
      customer: {
        phone: { e164: '+12137774445', raw: '+12137774445' },
        name: 'María González',
        email: null,
        company: null,
      },
      linePhone: { e164: '+14157774444', raw: '+14157774444' },
      startedAt: '2025-11-25T16:30:12.418Z',
      answeredAt: null,
      endedAt: '2025-11-25T16:33:19.838Z',
      durationSeconds: 187.42,
      talkSeconds: null,
      ringSeconds: null,
      outcome: 'answered',
      hangup: { side: 'customer', reason: 'user_hangup' },
      recordingUrl: 'https://dxc03zgurdly9.cloudfront.net/call_9f2c4e8a71b3d05c6e2a8f41d7b9/recording.wav',
      intention: { code: 'hot', label: 'A' },
      tags: ['rescheduled', 'insurance question'],
      answers: [
        { questionId: 'new_appointment', question: null, answer: 'Thursday 4:15 PM', hit: null, note: null },
        { questionId: 'insurance_provider', question: null, answer: 'Delta Dental', hit: null, note: null },
        { questionId: 'wants_sms_reminder', question: null, answer: 'true', hit: null, note: null },
        {
          questionId: 'callback_topics',
          question: null,
          answer: 'coverage check, x-ray pricing',
          hit: null,
          note: null,
        },
      ],
      analysis: [],
      campaign: null,
      script: { id: 'agent_3b1f8e0c27d94a6f5e8c1d2b70', name: 'Brightside Dental – appointment reminders' },
      account: null,
      location: null,
      score: null,
      rounds: null,
      summary:
        'The agent called María González to confirm her Tuesday 10:30 AM cleaning. She could not make it and rescheduled to Thursday at 4:15 PM, and asked whether her new Delta Dental plan is accepted.',
      sentiment: 'Positive',
      success: 'true',
      extras: {
        crm_lead_id: 'LD-20931',
        clinic: 'Brightside Dental Pasadena',
        customer_name: 'María González',
        appointment_date: 'Tuesday, December 2',
        appointment_time: '10:30 AM',
        appointment_confirmed: 'rescheduled',
        new_appointment_time: 'Thursday 4:15 PM',
        call_type: 'phone_call',
        agent_version: '4',
        in_voicemail: false,
      },
    });
  });

  it('maps call_ended, which has no analysis, to the same call fields with no summary, intention, tags or answers', () => {
    const ended = mapFixture('call-ended');
    const analyzed = mapFixture('call-analyzed');
    expect(ended).toMatchObject({
      eventKind: 'hangup',
      eventName: 'call_ended',
      summary: null,
      sentiment: null,
      success: null,
      intention: null,
      tags: [],
      answers: [],
    });
    expect(ended.extras).not.toHaveProperty('in_voicemail');
    // Every field read from the call object is the same in both events: their order cannot change the call.
    const callFields = (record: CallRecord) => {
      const { eventKind, eventName, summary, sentiment, success, intention, tags, answers, extras, ...rest } = record;
      const { in_voicemail: _inVoicemail, ...otherExtras } = extras;
      void [eventKind, eventName, summary, sentiment, success, intention, tags, answers];
      return { ...rest, extras: otherExtras };
    };
    expect(callFields(ended)).toEqual(callFields(analyzed));
  });

  it('maps call_started: the start time and parties, nothing the call has not had yet', () => {
    expect(mapFixture('call-started')).toMatchObject({
      eventKind: 'start',
      vendorCallId: MAIN_CALL,
      customer: { phone: { e164: '+12137774445' } },
      startedAt: '2025-11-25T16:30:12.418Z',
      endedAt: null,
      durationSeconds: null,
      outcome: null,
      hangup: { side: null, reason: null },
      recordingUrl: null,
      summary: null,
    });
  });

  it('gives one and the same call whatever order call_started, call_ended and call_analyzed are merged in', () => {
    const records = ['call-started', 'call-ended', 'call-analyzed'].map((name) => mapFixture(name));
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const merged = orders.map((order) =>
      order.map((index) => records[index]!).reduce((known, next) => mergeCallRecords(known, next)),
    );
    for (const result of merged) expect(result).toEqual(merged[0]);
    expect(merged[0]).toMatchObject({
      eventName: 'call_analyzed',
      summary: expect.stringContaining('rescheduled to Thursday') as unknown,
      intention: { code: 'hot', label: 'A' },
      startedAt: '2025-11-25T16:30:12.418Z',
      endedAt: '2025-11-25T16:33:19.838Z',
      durationSeconds: 187.42,
      outcome: 'answered',
      extras: { new_appointment_time: 'Thursday 4:15 PM', in_voicemail: false },
    });
  });

  it('maps a call that never connected (dial_no_answer) from call_ended and call_analyzed alike', () => {
    const ended = mapFixture('no-answer-call-ended');
    const analyzed = mapFixture('no-answer-call-analyzed');
    for (const record of [ended, analyzed]) {
      expect(record).toMatchObject({
        vendorCallId: 'call_1d7e3a9b5c0f4826a3e1b9d7c5f2',
        direction: 'outbound',
        customer: { phone: { e164: '+13125557788' }, name: 'Derek Olsen' },
        startedAt: '2025-11-25T16:45:01.250Z',
        endedAt: '2025-11-25T16:45:31.902Z',
        durationSeconds: null,
        outcome: 'no_answer',
        hangup: { side: null, reason: 'dial_no_answer' },
        recordingUrl: null,
        intention: null,
        tags: [],
        answers: [],
      });
      expect(record.extras['warnings']).toBeUndefined();
    }
    // Retell leaves custom analysis out of calls that never connected; its own verdicts are there.
    expect(analyzed).toMatchObject({ summary: 'The call was not answered.', sentiment: 'Unknown', success: 'false' });
  });

  it('maps a web call: event_type as the event name, no direction and no numbers, without a warning', () => {
    const record = mapFixture('web-call-analyzed');
    expect(record).toMatchObject({
      vendorCallId: 'call_6b0a2d8f4e1c7a93b5d2e0f8c4a6',
      eventName: 'call_analyzed',
      eventKind: 'collect',
      direction: null,
      customer: { phone: { e164: null, raw: null } },
      linePhone: { e164: null, raw: null },
      durationSeconds: 96.31,
      outcome: 'answered',
      hangup: { side: 'agent', reason: 'agent_hangup' },
      intention: { code: 'warm', label: 'B' },
      // Tags given as text separated by commas.
      tags: ['pricing', 'demo request'],
      answers: [{ questionId: 'company_size', answer: '11-50' }],
      script: { name: 'Lumen Analytics – website assistant' },
      extras: { landing_page: '/pricing', utm_campaign: 'q4-retargeting', call_type: 'web_call' },
    });
    expect(record.extras['warnings']).toBeUndefined();
    // The web call's access token is a credential: it is not copied into the call.
    expect(JSON.stringify(record)).not.toContain('eyJhbGciOi');
  });

  it('normalises a caller number in national format to E.164 and keeps what Retell sent', () => {
    const record = mapFixture('inbound-national-number-call-ended');
    expect(record).toMatchObject({
      direction: 'inbound',
      // Inbound: the customer is from_number.
      customer: { phone: { e164: '+16502530000', raw: '(650) 253-0000' } },
      linePhone: { e164: '+14155550134', raw: '+14155550134' },
      durationSeconds: 64.25,
      hangup: { side: 'agent', reason: 'agent_hangup' },
    });
    expect(record.extras['warnings']).toBeUndefined();
  });

  it('keeps a caller number that is not a phone number as raw text with a warning, never a guessed E.164', () => {
    const record = mapDelivery(withCall('inbound-national-number-call-ended', { from_number: 'anonymous' }));
    expect(record.customer.phone).toEqual({ e164: null, raw: 'anonymous' });
    expect(record.extras['warnings']).toEqual(['from_number: not a valid phone number']);
  });

  it('reads each disconnection reason as an outcome, and a reason it does not know by the call status', () => {
    const outcome = (changes: Record<string, unknown>) => mapDelivery(withCall('call-ended', changes)).outcome;
    expect(outcome({ disconnection_reason: 'agent_hangup' })).toBe('answered');
    expect(outcome({ disconnection_reason: 'call_transfer' })).toBe('answered');
    expect(outcome({ disconnection_reason: 'voicemail_reached' })).toBe('no_answer');
    expect(outcome({ disconnection_reason: 'dial_no_answer', call_status: 'not_connected' })).toBe('no_answer');
    expect(outcome({ disconnection_reason: 'dial_busy', call_status: 'not_connected' })).toBe('busy');
    expect(outcome({ disconnection_reason: 'user_declined', call_status: 'not_connected' })).toBe('busy');
    expect(outcome({ disconnection_reason: 'dial_failed', call_status: 'not_connected' })).toBe('failed');
    expect(outcome({ disconnection_reason: 'invalid_destination', call_status: 'not_connected' })).toBe('failed');
    expect(outcome({ disconnection_reason: 'error_llm_websocket_open', call_status: 'error' })).toBe('failed');
    expect(outcome({ disconnection_reason: 'a_reason_added_later', call_status: 'ended' })).toBe('answered');
    expect(outcome({ disconnection_reason: 'a_reason_added_later', call_status: 'not_connected' })).toBe('no_answer');
    expect(outcome({ disconnection_reason: 'a_reason_added_later', call_status: 'error' })).toBe('failed');
    expect(outcome({ disconnection_reason: null, call_status: 'ongoing' })).toBeNull();
  });

  it('takes the intention and the tags from the keys vendors.retell.analysisKeys names; every other key is an answer', () => {
    const record = mapDelivery(
      withCall('call-analyzed', {
        call_analysis: {
          call_summary: 'Interested in whitening.',
          custom_analysis_data: { lead_temperature: 'warm', intention: 'book', tags: ['a', 'b'], topics: 'whitening' },
        },
      }),
      retellContext({ analysisKeys: { intention: 'lead_temperature', tags: 'topics' } }),
    );
    expect(record.intention).toEqual({ code: 'warm', label: 'B' });
    expect(record.tags).toEqual(['whitening']);
    expect(record.answers.map((answer) => [answer.questionId, answer.answer])).toEqual([
      ['intention', 'book'],
      ['tags', 'a, b'],
    ]);
  });

  it('gives a later variable of the same name precedence, keeps object values, and never touches Object.prototype', () => {
    const record = mapDelivery(
      withCall('call-ended', {
        metadata: { source: 'metadata', nested: { owner: 'dana' }, ['__proto__']: { polluted: true } },
        retell_llm_dynamic_variables: { source: 'dynamic' },
        collected_dynamic_variables: { source: 'collected' },
      }),
    );
    expect(record.extras['source']).toBe('collected');
    expect(record.extras['nested']).toEqual({ owner: 'dana' });
    expect(Object.hasOwn(record.extras, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(record.extras)).toBe(Object.prototype);
  });

  it('stores transfer, transcript and chat events without a call record', () => {
    for (const payload of [
      fixture('retell', 'transfer-started'),
      { event: 'transcript_updated', call: { call_id: MAIN_CALL } },
      { event: 'chat_ended', chat: { chat_id: 'chat_01' } },
    ]) {
      const result = mapper.map({ eventName: String(payload['event']), payload }, retellContext());
      expect(result).toEqual({ kind: 'skipped', reason: expect.stringContaining('stored only') as unknown });
    }
  });

  it('refuses a call event without a call or a call id, naming the field', () => {
    const problem = (payload: unknown) => {
      try {
        mapper.map({ eventName: 'call_ended', payload }, retellContext());
      } catch (error) {
        if (error instanceof PayloadValidationError) return error.message;
      }
      return 'no PayloadValidationError';
    };
    expect(problem({ event: 'call_ended' })).toBe('call: must be a JSON object');
    expect(problem({ event: 'call_ended', call: { direction: 'inbound' } })).toMatch(/^call\.call_id: /);
    expect(problem({ event: 'call_ended', call: { call_id: 'c1', start_timestamp: 'noon' } })).toMatch(
      /^call\.start_timestamp: /,
    );
  });
});
