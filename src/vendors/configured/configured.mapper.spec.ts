import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.js';
import { PayloadValidationError } from '../../common/payload-validation.js';
import { parseConnectorSettings } from '../../config/mapping/mapping-file.js';
import type { CallRecord } from '../call-record.js';
import { DEFAULT_ANALYSIS_KEYS, type MappingContext } from '../vendor-mapper.js';
import type { ConfiguredVendorSpec } from './configured-vendor-spec.js';
import { ConfiguredMapper } from './configured.mapper.js';
import { ConfiguredWebhook } from './configured.webhook.js';

/** The Bland definition exactly as shipped in config/examples/bland.yaml. */
const settings = parseConnectorSettings(
  readFileSync(join(import.meta.dirname, '../../../config/examples/bland.yaml'), 'utf8'),
  'bland.yaml',
).vendors['bland']!;
const spec = settings.definition!;
const context: MappingContext = {
  timeZone: settings.timeZone,
  defaultRegion: settings.defaultRegion,
  intentionLabels: { A: 'Hot' },
  analysisKeys: DEFAULT_ANALYSIS_KEYS,
  now: () => new Date('2026-03-15T00:00:00Z'),
};
const mapper = new ConfiguredMapper('bland', spec);
const webhook = new ConfiguredWebhook('bland', spec);

const mapBland = (name: string, changes: Record<string, unknown> = {}): CallRecord => {
  const payload = { ...fixture('bland', name), ...changes };
  const [item] = webhook.split(payload);
  const result = mapper.map({ eventName: item!.eventName, payload: item!.payload }, context);
  if (result.kind !== 'records') throw new Error(`expected records, got skipped: ${result.reason}`);
  expect(result.records).toHaveLength(1);
  return result.records[0]!;
};

describe('a vendor defined in the mapping: Bland, from config/examples/bland.yaml', () => {
  it('maps an outbound call: the callee is the customer, duration from seconds sent as text, answers from analysis', () => {
    expect(mapBland('outbound-completed')).toEqual<CallRecord>({
      vendor: 'bland',
      vendorCallId: '9d404c1b-6a23-4ee5-add6-0b3c5b6b7d1e',
      eventKind: 'result',
      eventName: 'call',
      direction: 'outbound',
      customer: {
        phone: { e164: '+16175550123', raw: '+16175550123' },
        name: 'Dana Whitfield',
        email: null,
        company: 'Whitfield Dental Group',
      },
      linePhone: { e164: '+14155552671', raw: '+14155552671' },
      startedAt: '2026-03-10T17:00:02.118Z',
      answeredAt: null,
      endedAt: null,
      durationSeconds: 167,
      talkSeconds: null,
      ringSeconds: null,
      outcome: 'answered',
      hangup: { side: null, reason: null },
      recordingUrl: 'https://storage.bland.example/recordings/9d404c1b-6a23-4ee5-add6-0b3c5b6b7d1e.mp3',
      intention: { code: 'A', label: 'Hot' },
      tags: ['QUALIFIED'],
      answers: [
        { questionId: 'team_size', question: null, answer: '12', hit: null, note: null },
        { questionId: 'callback_time', question: null, answer: 'Thursday afternoon', hit: null, note: null },
        { questionId: 'budget_approved', question: null, answer: 'true', hit: null, note: null },
      ],
      analysis: [],
      campaign: null,
      script: null,
      account: null,
      location: null,
      score: null,
      rounds: null,
      summary:
        'Dana Whitfield is interested in the premium plan for her 12-person team and asked for a callback on Thursday afternoon with a quote.',
      sentiment: null,
      success: null,
      extras: {
        answered_by: 'human',
        call_length_minutes: 2.783333,
        variables: fixture('bland', 'outbound-completed')['variables'],
        metadata: { campaign: 'spring-demo-follow-up', crm_lead_id: 'L-20931' },
        transcript: fixture('bland', 'outbound-completed')['concatenated_transcript'],
      },
    });
  });

  it('maps an inbound call: the caller is the customer; no answered_by, so the status gives the outcome', () => {
    expect(mapBland('inbound-completed')).toMatchObject({
      direction: 'inbound',
      customer: { phone: { e164: '+19175550180' }, name: null },
      linePhone: { e164: '+14155552671' },
      durationSeconds: 45,
      outcome: 'answered',
      intention: { code: 'C', label: 'C' },
      tags: ['INFO_REQUEST'],
      answers: [{ questionId: 'question', answer: 'opening hours' }],
    });
  });

  it('reads a voicemail as not answered, whatever the status says, and a call without analysis as having none', () => {
    const record = mapBland('voicemail-no-analysis');
    expect(record).toMatchObject({ outcome: 'no_answer', durationSeconds: 18, intention: null, summary: null });
    expect(record.tags).toEqual([]);
    expect(record.answers).toEqual([]);
    expect(record.extras['warnings']).toBeUndefined();
  });

  it('maps a call that never connected: no start, zero seconds, no recording, nothing invented', () => {
    expect(mapBland('never-connected')).toMatchObject({
      outcome: 'no_answer',
      startedAt: null,
      durationSeconds: 0,
      recordingUrl: null,
      summary: null,
      answers: [],
      customer: { phone: { e164: '+12025550147' } },
    });
  });

  it('maps a web call without a number: no customer number, the call kept', () => {
    const record = mapBland('web-call-no-number');
    expect(record.customer.phone).toEqual({ e164: null, raw: null });
    expect(record.linePhone).toEqual({ e164: null, raw: null });
    expect(record).toMatchObject({ vendorCallId: 'web-8b61f0c2-3e9a-47d5-b1c8-2a4d6e8f0b13', durationSeconds: 90 });
    expect(record.extras['warnings']).toBeUndefined();
  });

  it('reads national numbers in the default region, a local time in the zone, a recording URL without its scheme', () => {
    expect(mapBland('national-number')).toMatchObject({
      customer: { phone: { e164: '+16502530001', raw: '(650) 253-0001' }, name: 'Luis Ortega' },
      linePhone: { e164: '+14155552671', raw: '4155552671' },
      startedAt: '2026-03-14T18:20:09.000Z',
      recordingUrl: 'https://storage.bland.example/recordings/2f8e4b6a.mp3',
    });
  });

  it('leaves out what it cannot read, with a warning naming the path, and keeps the call', () => {
    const record = mapBland('outbound-completed', {
      to: '12345',
      started_at: 'yesterday',
      corrected_duration: 'about a minute',
      recording_url: 'not a url',
    });
    expect(record).toMatchObject({ startedAt: null, durationSeconds: null, recordingUrl: null });
    expect(record.customer.phone).toEqual({ e164: null, raw: '12345' });
    expect(record.extras['warnings']).toEqual([
      'to: not a valid phone number',
      'recording_url: not a URL',
      'started_at: not a time in the configured format',
      'corrected_duration: not a number',
    ]);
  });

  it('refuses a stored event without a usable call id, naming the path', () => {
    expect(() =>
      mapper.map(
        {
          eventName: 'call',
          payload: { ...fixture<Record<string, unknown>>('bland', 'outbound-completed'), call_id: '  ' },
        },
        context,
      ),
    ).toThrow(new PayloadValidationError('call_id', 'must be the call id (text or a whole number)'));
  });
});

describe('the splitter of a vendor defined in the mapping', () => {
  it('keys a Bland delivery by its call id: the same call again has the same key', () => {
    const items = webhook.split(fixture('bland', 'outbound-completed'));
    expect(items).toEqual([
      { eventKey: '9d404c1b-6a23-4ee5-add6-0b3c5b6b7d1e', eventName: 'call', payload: expect.any(Object) },
    ]);
  });

  it.each([
    ['absent', undefined, 'call_id: is missing: it identifies the event'],
    ['blank', ' \u200B ', 'call_id: must not be empty or blank'],
    ['absurdly long', 'x'.repeat(201), 'call_id: must be at most 200 characters'],
    ['an object', { id: 1 }, 'call_id: must be text or a whole number'],
    ['a fraction', 1.5, 'call_id: must be a whole number, or text'],
  ])('refuses a key path that is %s with a 400 naming the path', (_name, value, message) => {
    const body = { ...fixture('bland', 'outbound-completed'), call_id: value };
    expect(() => webhook.split(body)).toThrow(PayloadValidationError);
    try {
      webhook.split(body);
    } catch (error) {
      expect((error as PayloadValidationError).message).toBe(message);
      expect((error as PayloadValidationError).httpStatus).toBe(400);
    }
  });

  it('refuses a body that is not a JSON object', () => {
    expect(() => webhook.split([fixture('bland', 'outbound-completed')])).toThrow('body: must be a JSON object');
  });

  const named: ConfiguredVendorSpec = {
    ...spec,
    eventNamePath: ['message', 'type'],
    eventKey: [
      ['message', 'call', 'id'],
      ['message', 'type'],
    ],
    callEvents: { 'call-started': 'start', 'end-of-call-report': 'result' },
    fields: { ...spec.fields, callId: ['message', 'call', 'id'] },
  };
  const namedWebhook = new ConfiguredWebhook('named', named);

  it('keys a named event by call id and event name, and an event without a call by its content', () => {
    const report = { message: { type: 'end-of-call-report', call: { id: 'call-7' } } };
    expect(namedWebhook.split(report)[0]).toMatchObject({ eventKey: 'call-7:end-of-call-report' });
    const status = { message: { type: 'status-update', status: 'ringing' } };
    const [item] = namedWebhook.split(status);
    expect(item!.eventKey).toMatch(/^status-update:[0-9a-f]{64}$/);
    expect(new ConfiguredMapper('named', named).map({ eventName: 'status-update', payload: status }, context)).toEqual({
      kind: 'skipped',
      reason: 'event status-update carries no call',
    });
    expect(() => namedWebhook.split({ message: { call: { id: 'call-7' } } })).toThrow(
      'message.type: is missing: it names the event',
    );
    expect(() => namedWebhook.split({ message: { type: 'end-of-call-report', call: {} } })).toThrow(
      'message.call.id: is missing: it identifies the event',
    );
  });
});
