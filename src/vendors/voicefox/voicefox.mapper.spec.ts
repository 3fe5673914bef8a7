import { describe, expect, it } from 'vitest';
import { chinaContext, fixture } from '../../../test/support/fixtures.js';
import type { CallRecord } from '../call-record.js';
import { VoiceFoxMapper } from './voicefox.mapper.js';

const mapper = new VoiceFoxMapper();
const mapEvent = (payload: Record<string, unknown>): CallRecord => {
  const result = mapper.map({ eventName: String(payload['event_name']), payload }, chinaContext());
  if (result.kind !== 'records') throw new Error(`expected records, got skipped: ${result.reason}`);
  expect(result.records).toHaveLength(1);
  return result.records[0]!;
};

describe('VoiceFoxMapper', () => {
  it('maps the seed document sample, whose values are placeholders, without inventing data', () => {
    const record = mapEvent(fixture('voicefox', 'seed-callin-collect'));
    expect(record).toMatchObject({
      vendor: 'voicefox',
      vendorCallId: '通话ID',
      eventKind: 'collect',
      eventName: 'callin.collect',
      // "呼叫类型" is not a direction; callin.* events are inbound.
      direction: 'inbound',
      customer: { phone: { e164: null, raw: '主叫号码' }, name: null, email: null, company: null },
      linePhone: { e164: null, raw: '被叫号码' },
      startedAt: null,
      answeredAt: null,
      endedAt: null,
      durationSeconds: 0,
      talkSeconds: 0,
      ringSeconds: 0,
      outcome: 'no_answer',
      recordingUrl: null,
      answers: [{ questionId: 'string', question: 'string', answer: 'string', hit: false, note: 'string' }],
      analysis: [{ title: 'string', result: 'string' }],
      campaign: null,
    });
    expect(record.extras['warnings']).toEqual([
      'caller: not a valid phone number',
      'start_at: not a recognised time',
      'answer_at: not a recognised time',
      'end_at: not a recognised time',
      'record_url: not a URL',
    ]);
  });

  it('maps an inbound collect: E.164 caller, China times in UTC, answers, analysis, intention and tags', () => {
    expect(mapEvent(fixture('voicefox', 'callin-collect'))).toEqual<CallRecord>({
      vendor: 'voicefox',
      vendorCallId: 'vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10',
      eventKind: 'collect',
      eventName: 'callin.collect',
      direction: 'inbound',
      customer: { phone: { e164: '+8617534989887', raw: '17534989887' }, name: null, email: null, company: null },
      linePhone: { e164: '+864008001234', raw: '4008001234' },
      startedAt: '2025-09-25T13:39:55.000Z',
      answeredAt: '2025-09-25T13:40:02.000Z',
      endedAt: '2025-09-25T13:40:45.000Z',
      durationSeconds: 50,
      talkSeconds: 43,
      ringSeconds: 7,
      outcome: 'answered',
      hangup: { side: 'customer', reason: 'normal clearing' },
      recordingUrl: 'https://media.voicefox.example/records/vf-5f1c2a9e.mp3?expires=1758808845&sig=abc123',
      intention: { code: 'A', label: 'A' },
      tags: ['价格咨询', '回电'],
      answers: [
        {
          questionId: 'q-interest-01',
          question: '您对我们的产品感兴趣吗?',
          answer: '感兴趣',
          hit: true,
          note: '客户主动询问价格',
        },
        {
          questionId: 'q-email-02',
          question: '方便留一个邮箱吗?',
          answer: 'li.wei@example.com',
          hit: true,
          note: null,
        },
        { questionId: 'q-budget-03', question: '预算大概多少?', answer: null, hit: false, note: '未回答' },
      ],
      analysis: [
        { title: '通话摘要', result: '客户对产品感兴趣，希望销售回电介绍价格。' },
        { title: '意向等级', result: 'A' },
        { title: '标签', result: '价格咨询，回电' },
      ],
      campaign: null,
      script: null,
      account: null,
      location: null,
      score: null,
      rounds: null,
      summary: null,
      sentiment: null,
      success: null,
      extras: { task_item_id: null, assistant_infos: [{ assistant_id: 1201, assistant_vid: 88 }], extra: {} },
    });
  });

  it('maps an outbound task call: the customer is the callee, ISO times, a scheme-less recording URL gets https', () => {
    const record = mapEvent(fixture('voicefox', 'task-call-collect-outbound'));
    expect(record).toMatchObject({
      direction: 'outbound',
      eventKind: 'collect',
      customer: {
        phone: { e164: '+8613912345678', raw: '+86 139 1234 5678' },
        name: '王芳',
        company: '华东贸易有限公司',
      },
      linePhone: { e164: '+862161234567' },
      startedAt: '2025-09-26T02:00:05.000Z',
      answeredAt: '2025-09-26T02:00:11.000Z',
      endedAt: '2025-09-26T02:02:11.000Z',
      hangup: { side: 'customer' },
      recordingUrl: 'https://media.voicefox.example/records/vf-out-31d9e7a2.wav',
      intention: { code: 'B', label: 'B' },
      campaign: { id: '5521', name: null },
    });
  });

  it('maps a hangup-only event of the same call to the same vendor call id', () => {
    const hangup = mapEvent(fixture('voicefox', 'callin-hangup'));
    const collect = mapEvent(fixture('voicefox', 'callin-collect'));
    expect(hangup.vendorCallId).toBe(collect.vendorCallId);
    expect(hangup).toMatchObject({ eventKind: 'hangup', answers: [], analysis: [], intention: null, talkSeconds: 43 });
  });

  it('marks a call with an empty answer_at and no talk time as not answered', () => {
    const record = mapEvent(fixture('voicefox', 'callin-hangup-unanswered'));
    expect(record).toMatchObject({
      outcome: 'no_answer',
      answeredAt: null,
      talkSeconds: 0,
      recordingUrl: null,
      customer: { phone: { e164: '+8613800138000', raw: '+8613800138000' } },
    });
    expect(record.extras['warnings']).toBeUndefined();
  });

  it('skips events that carry no call, and reads a transfer with a session as an update of that call', () => {
    for (const name of ['task-end', 'unknown-event']) {
      const payload = fixture('voicefox', name);
      expect(mapper.map({ eventName: String(payload['event_name']), payload }, chinaContext()).kind).toBe('skipped');
    }
    const transfer = mapEvent(fixture('voicefox', 'callin-transfer'));
    expect(transfer).toMatchObject({ eventKind: 'transfer', vendorCallId: 'vf-5f1c2a9e-0b7d-4c1e-9a53-2d8e6f4b7c10' });
  });

  it('recognises busy and failed calls from the hangup reason', () => {
    const base = fixture<{ event_name: string; event_data: Record<string, unknown> }>(
      'voicefox',
      'callin-hangup-unanswered',
    );
    const withReason = (reason: string) =>
      mapEvent({ ...base, event_data: { ...base.event_data, hangup_reason: reason } }).outcome;
    expect(withReason('user busy')).toBe('busy');
    expect(withReason('用户忙')).toBe('busy');
    expect(withReason('空号')).toBe('failed');
  });
});
