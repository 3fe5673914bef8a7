import { describe, expect, it } from 'vitest';
import { chinaContext, fixture } from '../../../test/support/fixtures.js';
import { PayloadValidationError } from '../../common/payload-validation.js';
import type { CallRecord } from '../call-record.js';
import type { MappingContext } from '../vendor-mapper.js';
import { VapiMapper } from './vapi.mapper.js';

type Delivery = { message: Record<string, unknown> };

const mapper = new VapiMapper();
/** Vapi's shipped defaults (UTC, US), with an intention table a customer might write. */
const vapiContext = (overrides: Partial<MappingContext> = {}): MappingContext =>
  chinaContext({ timeZone: 'UTC', defaultRegion: 'US', intentionLabels: { hot: 'A', warm: 'B' }, ...overrides });
const mapReport = (payload: Delivery, context = vapiContext()): CallRecord => {
  const result = mapper.map({ eventName: String(payload.message['type']), payload }, context);
  if (result.kind !== 'records') throw new Error(`expected records, got skipped: ${result.reason}`);
  expect(result.records).toHaveLength(1);
  return result.records[0]!;
};
const withMessage = (name: string, change: Record<string, unknown>): Delivery => {
  const payload = fixture<Delivery>('vapi', name);
  return { message: { ...payload.message, ...change } };
};

describe('VapiMapper', () => {
  it('maps an inbound phone call report: E.164 numbers, UTC times, duration from the times, summary, success', () => {
    expect(mapReport(fixture('vapi', 'inbound-report'))).toEqual<CallRecord>({
      vendor: 'vapi',
      vendorCallId: '0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41',
      eventKind: 'result',
      eventName: 'end-of-call-report',
      direction: 'inbound',
      customer: { phone: { e164: '+14158675309', raw: '+14158675309' }, name: null, email: null, company: null },
      linePhone: { e164: '+16282520191', raw: '+16282520191' },
      startedAt: '2026-03-12T17:04:11.512Z',
      answeredAt: null,
      endedAt: '2026-03-12T17:06:58.907Z',
      durationSeconds: 167.395,
      talkSeconds: 167.395,
      ringSeconds: null,
      outcome: 'answered',
      hangup: { side: 'customer', reason: 'customer-ended-call' },
      recordingUrl: 'https://storage.vapi.ai/0c5f8a3e-2b7d-4e91-a6c4-9d8e7f6a5b41-1773335219412-6c2f0b8e-mono.wav',
      intention: null,
      tags: [],
      answers: [],
      analysis: [],
      campaign: null,
      script: null,
      account: null,
      location: null,
      score: null,
      rounds: null,
      summary:
        'The caller asked to move a Thursday cleaning appointment. Riley offered two slots and the caller chose Tuesday, March 17 at 10:30 AM.',
      sentiment: null,
      success: 'true',
      extras: {
        callType: 'inboundPhoneCall',
        assistantId: 'b7e4c2a1-5d3f-4e8b-9a6c-1f2e3d4c5b6a',
        metadata: null,
        customerExternalId: null,
        cost: 0.1932,
      },
    });
  });

  it('maps a redelivered report with new presigned URLs to the same record', () => {
    const first = fixture<Delivery>('vapi', 'inbound-report');
    const again = fixture<Delivery>('vapi', 'inbound-report-redelivered');
    expect(again).not.toEqual(first);
    expect(mapReport(again)).toEqual(mapReport(first));
  });

  it('maps an outbound call: the customer is the callee, structured data to intention, tags and answers', () => {
    const record = mapReport(fixture('vapi', 'outbound-structured'));
    expect(record).toMatchObject({
      vendorCallId: '7a2e9c41-6f3b-4d8a-b5e0-2c9d1f7a8e36',
      direction: 'outbound',
      customer: {
        phone: { e164: '+16505550143' },
        name: 'Dana Whitfield',
        email: 'dana.whitfield@example.com',
        company: null,
      },
      linePhone: { e164: '+14157360182' },
      durationSeconds: 215.831,
      talkSeconds: 215.831,
      outcome: 'answered',
      hangup: { side: 'agent', reason: 'assistant-ended-call' },
      intention: { code: 'hot', label: 'A' },
      tags: ['pricing', 'demo-request'],
      success: 'true',
    });
    expect(record.answers).toEqual([
      { questionId: 'companySize', question: null, answer: '51-200', hit: null, note: null },
      { questionId: 'currentProvider', question: null, answer: 'Twilio Flex', hit: null, note: null },
      { questionId: 'decisionMaker', question: null, answer: 'true', hit: null, note: null },
      { questionId: 'monthlyCallVolume', question: null, answer: '4200', hit: null, note: null },
      { questionId: 'painPoints', question: null, answer: 'long hold times, after-hours calls', hit: null, note: null },
      {
        questionId: 'followUp',
        question: null,
        answer: '{"channel":"email","date":"2026-03-19"}',
        hit: null,
        note: null,
      },
      { questionId: 'competitorMentioned', question: null, answer: null, hit: null, note: null },
    ]);
    expect(record.extras).toEqual({
      callType: 'outboundPhoneCall',
      assistantId: '4f9a2c7e-1b3d-4e5f-8a6c-0d2e4f6a8b1c',
      metadata: { hubspotDealId: '18342117', campaign: 'Q1 reactivation' },
      customerExternalId: 'crm-88412',
      cost: 0.2871,
    });
  });

  it('reads the intention and tags from the keys the mapping names; the default keys are then answers', () => {
    const record = mapReport(
      withMessage('outbound-structured', {
        analysis: { structuredData: { leadTemperature: 'warm', topics: 'pricing; onboarding', intention: 'x' } },
      }),
      vapiContext({ analysisKeys: { intention: 'leadTemperature', tags: 'topics' } }),
    );
    expect(record.intention).toEqual({ code: 'warm', label: 'B' });
    expect(record.tags).toEqual(['pricing', 'onboarding']);
    expect(record.answers).toEqual([{ questionId: 'intention', question: null, answer: 'x', hit: null, note: null }]);
  });

  it('maps a call that never connected: no answer, no talk time, no analysis, no recording', () => {
    const record = mapReport(fixture('vapi', 'outbound-no-answer'));
    expect(record).toMatchObject({
      direction: 'outbound',
      customer: { phone: { e164: '+13125550176' }, name: 'Marcus Oyelaran' },
      outcome: 'no_answer',
      hangup: { side: null, reason: 'customer-did-not-answer' },
      durationSeconds: 30.545,
      talkSeconds: 0,
      summary: null,
      success: null,
      recordingUrl: null,
      intention: null,
      tags: [],
      answers: [],
    });
    expect(record.extras['warnings']).toBeUndefined();
  });

  it('maps a web call without a number: no direction, no numbers, and no warning for the missing number', () => {
    const record = mapReport(fixture('vapi', 'web-call'));
    expect(record).toMatchObject({
      direction: null,
      customer: { phone: { e164: null, raw: null } },
      linePhone: { e164: null, raw: null },
      outcome: 'answered',
      durationSeconds: 35.785,
      summary:
        'A website visitor asked whether the clinic accepts Delta Dental insurance; the assistant confirmed it does.',
      extras: { callType: 'webCall' },
    });
    expect(record.extras['warnings']).toBeUndefined();
  });

  it('reads a number sent without its country code in the default region, and keeps one that is no number raw', () => {
    const record = mapReport(fixture('vapi', 'non-e164-number'));
    expect(record).toMatchObject({
      customer: { phone: { e164: '+14155550199', raw: '4155550199' } },
      intention: { code: 'info', label: 'info' },
      tags: ['hours', 'saturday'],
      success: 'Pass',
      hangup: { side: 'agent', reason: 'assistant-said-end-call-phrase' },
    });
    const extension = mapReport(withMessage('non-e164-number', { customer: { number: '1234' } }));
    expect(extension.customer.phone).toEqual({ e164: null, raw: '1234' });
    expect(extension.extras['warnings']).toEqual(['customer.number: not a valid phone number']);
  });

  it.each([
    ['customer-ended-call-during-transfer', 'answered', 'customer'],
    ['assistant-ended-call-after-message-spoken', 'answered', 'agent'],
    ['assistant-forwarded-call', 'answered', 'agent'],
    ['customer-busy', 'busy', null],
    ['customer-did-not-answer', 'no_answer', null],
    ['voicemail', 'no_answer', null],
    ['silence-timed-out', 'answered', 'agent'],
    ['call.in-progress.twilio-completed-call', 'answered', null],
    ['call.start.error-subscription-insufficient-credits', 'failed', null],
    ['pipeline-error-openai-llm-failed', 'failed', null],
    ['call.in-progress.error-vapifault-openai-llm-failed', 'failed', null],
    ['twilio-failed-to-connect-call', 'failed', null],
    ['a-reason-vapi-adds-next-month', null, null],
  ])('reads endedReason %s by its prefix as outcome %s, hung up by %s', (reason, outcome, side) => {
    const record = mapReport(withMessage('inbound-report', { endedReason: reason }));
    expect(record.outcome).toBe(outcome);
    expect(record.hangup).toEqual({ side, reason });
    expect(record.talkSeconds).toBe(outcome === 'answered' ? 167.395 : outcome === null ? null : 0);
  });

  it('falls back to the call object for fields the message lacks, and to durationMs when a time is missing', () => {
    const report = fixture<Delivery>('vapi', 'inbound-report').message;
    const call = report['call'] as Record<string, unknown>;
    const record = mapReport({
      message: {
        type: 'end-of-call-report',
        durationMs: 42_500,
        call: {
          ...call,
          startedAt: '2026-03-12T17:04:11.512Z',
          endedReason: 'customer-ended-call',
          customer: { number: '+14158675309', name: 'Priya Raman' },
          phoneNumber: { number: '+16282520191' },
          analysis: { summary: 'Short call.' },
        },
      },
    });
    expect(record).toMatchObject({
      customer: { phone: { e164: '+14158675309' }, name: 'Priya Raman' },
      linePhone: { e164: '+16282520191' },
      startedAt: '2026-03-12T17:04:11.512Z',
      endedAt: null,
      durationSeconds: 42.5,
      outcome: 'answered',
      summary: 'Short call.',
    });
  });

  it('gives no duration for an end before the start, with a warning, and never a negative one', () => {
    const record = mapReport(withMessage('inbound-report', { endedAt: '2026-03-12T17:00:00.000Z' }));
    expect(record.durationSeconds).toBeNull();
    expect(record.extras['warnings']).toEqual(['endedAt: before startedAt, no duration']);
  });

  it('skips messages that carry no call, and names the field of a malformed report', () => {
    const status = fixture<Delivery>('vapi', 'status-update');
    expect(mapper.map({ eventName: 'status-update', payload: status }, vapiContext())).toEqual({
      kind: 'skipped',
      reason: 'message status-update carries no call',
    });
    const noId = withMessage('inbound-report', { call: { type: 'inboundPhoneCall' } });
    expect(() => mapReport(noId)).toThrow(PayloadValidationError);
    expect(() => mapReport(noId)).toThrow(/^message\.call\.id: /);
    expect(() => mapReport(withMessage('inbound-report', { analysis: { structuredData: ['a'] } }))).toThrow(
      /^message\.analysis\.structuredData: must be a JSON object$/,
    );
  });
});
