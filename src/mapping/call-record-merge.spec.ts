import { describe, expect, it } from 'vitest';
import { chinaContext, fixture } from '../../test/support/fixtures.js';
import type { CallRecord } from '../vendors/call-record.js';
import { VoiceFoxMapper } from '../vendors/voicefox/voicefox.mapper.js';
import { mergeCallRecords } from './call-record-merge.js';

function voicefox(name: 'callin-collect' | 'callin-hangup', changes: Partial<CallRecord> = {}): CallRecord {
  const payload = fixture<Record<string, unknown>>('voicefox', name);
  const result = new VoiceFoxMapper().map({ eventName: String(payload['event_name']), payload }, chinaContext());
  if (result.kind !== 'records') throw new Error(`${name} maps to a call`);
  return { ...result.records[0]!, ...changes };
}

describe('mergeCallRecords', () => {
  it("keeps the collect event's answers, intention and summary when a hangup follows it, and takes the hangup's newer values", () => {
    const collect = voicefox('callin-collect');
    const hangup = voicefox('callin-hangup', {
      talkSeconds: 44,
      recordingUrl: 'https://media.voicefox.example/records/renewed.mp3',
    });
    const merged = mergeCallRecords(collect, hangup);
    expect(merged.answers).toEqual(collect.answers);
    expect(merged.answers.length).toBeGreaterThan(0);
    expect(merged.intention).toEqual(collect.intention);
    expect(merged.analysis).toEqual(collect.analysis);
    expect(merged.talkSeconds).toBe(44);
    expect(merged.recordingUrl).toBe('https://media.voicefox.example/records/renewed.mp3');
  });

  it('names the call after the collect event once one is seen, in whichever order the events come', () => {
    const collect = voicefox('callin-collect');
    const hangup = voicefox('callin-hangup');
    expect(mergeCallRecords(collect, hangup)).toMatchObject({ eventKind: 'collect', eventName: 'callin.collect' });
    expect(mergeCallRecords(hangup, collect)).toMatchObject({ eventKind: 'collect', eventName: 'callin.collect' });
    expect(mergeCallRecords(hangup, hangup)).toMatchObject({ eventKind: 'hangup', eventName: 'callin.hangup' });
  });

  it('never lets an empty value of the newer event erase a known one: nulls, empty lists, a number without E.164', () => {
    const known = voicefox('callin-collect', { score: 80, campaign: { id: 'c-1', name: 'Spring' }, tags: ['回电'] });
    const next = voicefox('callin-hangup', {
      score: null,
      campaign: null,
      tags: [],
      answers: [],
      analysis: [],
      intention: null,
      startedAt: null,
      customer: { phone: { e164: null, raw: 'unknown' }, name: null, email: null, company: null },
      linePhone: { e164: null, raw: null },
      hangup: { side: null, reason: 'network' },
    });
    const merged = mergeCallRecords(known, next);
    expect(merged).toMatchObject({
      score: 80,
      campaign: { id: 'c-1', name: 'Spring' },
      tags: ['回电'],
      intention: known.intention,
      startedAt: known.startedAt,
    });
    expect(merged.answers).toEqual(known.answers);
    expect(merged.customer.phone).toEqual(known.customer.phone);
    expect(merged.linePhone).toEqual(known.linePhone);
    // Each hangup field on its own: the newer reason, the known side.
    expect(merged.hangup).toEqual({ side: known.hangup.side, reason: 'network' });
  });

  it("takes the newer event's non-empty values, zero and false included, and merges extras with the newer winning", () => {
    const known = voicefox('callin-collect', { score: 80, extras: { a: 1, b: 'old' } });
    const next = voicefox('callin-hangup', {
      score: 0,
      tags: ['新标签'],
      customer: { ...known.customer, name: '李伟', phone: { e164: '+8613800000001', raw: '13800000001' } },
      extras: { b: 'new', c: true },
    });
    const merged = mergeCallRecords(known, next);
    expect(merged.score).toBe(0);
    expect(merged.tags).toEqual(['新标签']);
    expect(merged.customer).toMatchObject({ name: '李伟', phone: { e164: '+8613800000001', raw: '13800000001' } });
    expect(merged.extras).toEqual({ a: 1, b: 'new', c: true });
  });
});
