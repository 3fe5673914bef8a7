import { describe, expect, it } from 'vitest';
import { chinaContext, fixture } from '../../../test/support/fixtures.js';
import { PayloadValidationError } from '../../common/payload-validation.js';
import type { CallRecord } from '../call-record.js';
import { YUNFU_EVENT_NAME } from './yunfu.webhook.js';
import { YunfuMapper } from './yunfu.mapper.js';

const mapper = new YunfuMapper();
const mapItem = (item: unknown): CallRecord => {
  const result = mapper.map({ eventName: YUNFU_EVENT_NAME, payload: item }, chinaContext());
  if (result.kind !== 'records') throw new Error('expected records');
  expect(result.records).toHaveLength(1);
  return result.records[0]!;
};

describe('YunfuMapper', () => {
  it('maps the seed inbound success callback to the canonical record', () => {
    const seed = fixture<{ data: unknown[] }>('yunfu', 'seed-inbound-success');
    expect(mapItem(seed.data[0])).toEqual<CallRecord>({
      vendor: 'yunfu',
      vendorCallId: '3e7ff3fb-2e65-4a51-b322-a01db56f8a90',
      eventKind: 'result',
      eventName: 'call.success',
      direction: 'inbound',
      customer: { phone: { e164: '+8617534989887', raw: '17534989887' }, name: null, email: null, company: null },
      linePhone: { e164: null, raw: null },
      startedAt: '2025-09-25T13:39:55.000Z',
      answeredAt: '2025-09-25T13:39:55.000Z',
      endedAt: '2025-09-25T13:40:38.000Z',
      durationSeconds: 43,
      talkSeconds: 43,
      ringSeconds: null,
      outcome: 'answered',
      hangup: { side: null, reason: null },
      recordingUrl: 'https://hw.test-saas.our.top/api/agent-api/download-voice?key=Um5tQ1dGWXdlVGJYVUF1TDB',
      intention: { code: '1', label: 'A' },
      tags: ['打出来的是什么号码'],
      answers: [],
      analysis: [],
      campaign: { id: 'cb4a91c2-09c0-4c71-8e67-3887f593bd4d', name: 'cky呼入任务测试' },
      script: { id: '11032', name: 'cky测试' },
      account: { id: '40863af8-db4a-41c6-a269-eb5bc386d97f', name: '官方系统测试账号' },
      location: { province: '山西', city: '晋中', operator: '联通' },
      score: 0,
      rounds: 2,
      summary: null,
      sentiment: null,
      success: null,
      extras: {
        customer_id: '794b99dd-1039-4049-953b-b623f8ea959a',
        master_user_id: '40863af8-db4a-41c6-a269-eb5bc386d97f',
        user_id: '40863af8-db4a-41c6-a269-eb5bc386d97f',
        account_type: 4,
        level: { id: '7049b435-3781-4f01-9c42-325bb12f743c', name: '评分中' },
        customer_extra: null,
      },
    });
  });

  it('treats the placeholder name 未知 as no name', () => {
    const seed = fixture<{ data: Array<Record<string, unknown>> }>('yunfu', 'seed-inbound-success');
    expect(seed.data[0]!['customer_data']).toMatchObject({ name: '未知' });
    expect(mapItem(seed.data[0]).customer.name).toBeNull();
  });

  it('keeps an intention given as a letter, and maps numbers through the table', () => {
    const letter = fixture<{ data: unknown[] }>('yunfu', 'intention-letter');
    expect(mapItem(letter.data[0]).intention).toEqual({ code: 'B', label: 'B' });
    const batch = fixture<{ data: unknown[] }>('yunfu', 'batch-3');
    expect(batch.data.map((item) => mapItem(item).intention)).toEqual([
      { code: '2', label: 'B' },
      { code: '3', label: 'C' },
      { code: '6', label: 'F' },
    ]);
  });

  it('normalises numbers with and without +86 and marks a call without an answer time as not answered', () => {
    const batch = fixture<{ data: unknown[] }>('yunfu', 'batch-3');
    const records = batch.data.map(mapItem);
    expect(records.map((record) => record.customer.phone.e164)).toEqual([
      '+8613800138000',
      '+8613912345678',
      '+8615000001111',
    ]);
    expect(records.map((record) => record.outcome)).toEqual(['answered', 'answered', 'no_answer']);
    expect(records[2]!.answeredAt).toBeNull();
    expect(records[0]!.customer).toMatchObject({ name: '张伟', email: 'zhang.wei@example.com', company: '示例科技' });
  });

  it('rejects a malformed item with the field named', () => {
    const bad = fixture<{ data: unknown[] }>('yunfu', 'batch-one-bad');
    expect(() => mapItem(bad.data[1])).toThrow(PayloadValidationError);
    expect(() => mapItem(bad.data[1])).toThrow(/^data item\.bill: must be a number$/);
  });

  it('reads the intention table of the configured context, not a built-in one', () => {
    const seed = fixture<{ data: unknown[] }>('yunfu', 'seed-inbound-success');
    const result = mapper.map(
      { eventName: YUNFU_EVENT_NAME, payload: seed.data[0] },
      chinaContext({ intentionLabels: { '1': '强意向' } }),
    );
    expect(result.kind === 'records' && result.records[0]!.intention).toEqual({ code: '1', label: '强意向' });
  });
});
