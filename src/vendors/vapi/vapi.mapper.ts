import { callIdText, validateEnvelope, validatePayload } from '../../common/payload-validation.js';
import { ownValue } from '../../common/own-value.js';
import type { CallDirection, CallOutcome, CallRecord, CollectedAnswer, Intention } from '../call-record.js';
import { normalisePhone } from '../phone-number.js';
import type { InboxEventInput, MapResult, MappingContext, VendorMapper } from '../vendor-mapper.js';
import { parseVendorInstant } from '../vendor-time.js';
import { absoluteUrl, distinctTexts, finiteOrWarn, presentText } from '../vendor-values.js';
import { VAPI_END_OF_CALL_REPORT, VapiDelivery, VapiEndOfCallReport, VapiMessageType } from './vapi.payload.js';

const DIRECTIONS: Record<string, CallDirection> = {
  inboundPhoneCall: 'inbound',
  outboundPhoneCall: 'outbound',
};

type HangupSide = CallRecord['hangup']['side'];

/**
 * Vapi's `endedReason` read by prefix (docs.vapi.ai/calls/call-ended-reason; the OpenAPI lists some 400 values and
 * Vapi adds more): the longest matching prefix decides. A reason none of them matches keeps its text in
 * `hangup.reason` and gives no outcome, rather than a guess.
 * - `voicemail`: the call reached voicemail, not the person, so it is HubSpot's "No answer" (`NO_ANSWER`); whether
 *   the assistant left a message is not in the reason, so "Left voicemail" would be a guess.
 * - `silence-timed-out`, `exceeded-max-duration`: a connected call the assistant's side ended.
 * - `call.in-progress.error-*`, `pipeline-error-*`, `call.start.error-*`: the call failed (HubSpot `FAILED`).
 */
const ENDED_REASONS: ReadonlyArray<readonly [prefix: string, outcome: CallOutcome, side: HangupSide]> = [
  ['customer-ended-call', 'answered', 'customer'],
  ['customer-busy', 'busy', null],
  ['customer-did-not-answer', 'no_answer', null],
  ['customer-did-not-give-microphone-permission', 'failed', null],
  ['assistant-ended-call', 'answered', 'agent'],
  ['assistant-said-end-call-phrase', 'answered', 'agent'],
  ['assistant-forwarded-call', 'answered', 'agent'],
  ['silence-timed-out', 'answered', 'agent'],
  ['exceeded-max-duration', 'answered', 'agent'],
  ['voicemail', 'no_answer', null],
  ['call.in-progress.twilio-completed-call', 'answered', null],
  ['call.in-progress.sip-completed-call', 'answered', null],
  ['vonage-completed', 'answered', null],
  ['call.ringing.sip-inbound-caller-hungup-before-call-connect', 'no_answer', 'customer'],
  ['call.start.error-', 'failed', null],
  ['call-start-error-', 'failed', null],
  ['call.in-progress.error-', 'failed', null],
  ['call.ringing.error-', 'failed', null],
  ['pipeline-error-', 'failed', null],
  ['assistant-request-', 'failed', null],
  ['assistant-not-', 'failed', null],
  ['assistant-error', 'failed', null],
  ['assistant-join-timed-out', 'failed', null],
  ['twilio-failed-to-connect-call', 'failed', null],
  ['twilio-reported-customer-misdialed', 'failed', null],
  ['vonage-failed-to-connect-call', 'failed', null],
  ['vonage-rejected', 'failed', null],
];
const BY_LONGEST_PREFIX = [...ENDED_REASONS].sort((a, b) => b[0].length - a[0].length);

/** Separators of tags given as one text (`pricing, callback`). */
const TAG_SEPARATORS = /[,，;；、|]/;

export class VapiMapper implements VendorMapper {
  readonly vendor = 'vapi';

  map(event: InboxEventInput, context: MappingContext): MapResult {
    const { message } = validateEnvelope(VapiDelivery, event.payload, ['message']);
    const others = Object.keys(message).filter((key) => key !== 'type');
    const type = validateEnvelope(VapiMessageType, message, others, 'message').type.trim();
    if (type !== VAPI_END_OF_CALL_REPORT) return { kind: 'skipped', reason: `message ${type} carries no call` };
    const report = validatePayload(VapiEndOfCallReport, message, 'message');
    return { kind: 'records', records: [mapReport(report, context)] };
  }
}

function mapReport(report: VapiEndOfCallReport, context: MappingContext): CallRecord {
  const warnings: string[] = [];
  const call = report.call;
  // The message's own fields first; the call object carries the same ones (`call.startedAt` …) as a back-up.
  const customer = report.customer ?? call.customer ?? {};
  const analysis = report.analysis ?? call.analysis ?? {};
  const artifact = report.artifact ?? call.artifact ?? {};
  const callType = presentText(call.type);
  const direction = callType !== null ? (ownValue(DIRECTIONS, callType) ?? null) : null;

  const customerPhone = normalisePhone(customer.number, context.defaultRegion);
  if (customerPhone.e164 === null && customerPhone.raw !== null)
    warnings.push('customer.number: not a valid phone number');

  const instant = (field: 'startedAt' | 'endedAt'): string | null => {
    const value = report[field] ?? call[field];
    const parsed = parseVendorInstant(value, context.timeZone);
    if (parsed === null && presentText(value) !== null) warnings.push(`${field}: not a recognised time`);
    return parsed;
  };
  const startedAt = instant('startedAt');
  const endedAt = instant('endedAt');
  const durationSeconds = readDuration(report, startedAt, endedAt, warnings);

  const endedReason = presentText(report.endedReason ?? call.endedReason);
  const [outcome, side] = readEndedReason(endedReason);
  // A call that did not connect has no talk time, whatever the span between its times (the ringing).
  const talkSeconds = outcome === 'answered' ? durationSeconds : outcome === null ? null : 0;

  const recordingText = artifact.recordingUrl ?? artifact.recording?.mono?.combinedUrl ?? report.recordingUrl;
  // Kept as Vapi gives it: the storage URL of the recording, which may sit in a private bucket (see README).
  const recordingUrl = absoluteUrl(recordingText);
  if (recordingUrl === null && presentText(recordingText) !== null) warnings.push('artifact.recordingUrl: not a URL');

  const structured = readStructuredData(analysis.structuredData ?? {}, context, warnings);

  return {
    vendor: 'vapi',
    vendorCallId: callIdText(call.id)!,
    eventKind: 'result',
    eventName: VAPI_END_OF_CALL_REPORT,
    direction,
    customer: {
      phone: customerPhone,
      name: presentText(customer.name),
      email: presentText(customer.email),
      company: null,
    },
    linePhone: normalisePhone((report.phoneNumber ?? call.phoneNumber)?.number, context.defaultRegion),
    startedAt,
    // Vapi sends no answer time.
    answeredAt: null,
    endedAt,
    durationSeconds,
    talkSeconds,
    ringSeconds: null,
    outcome,
    hangup: { side, reason: endedReason },
    recordingUrl,
    intention: structured.intention,
    tags: structured.tags,
    answers: structured.answers,
    analysis: [],
    campaign: null,
    script: null,
    account: null,
    location: null,
    score: null,
    rounds: null,
    summary: presentText(analysis.summary ?? report.summary),
    sentiment: null,
    success: presentText(analysis.successEvaluation),
    extras: {
      callType,
      assistantId: presentText(call.assistantId),
      metadata: call.assistantOverrides?.metadata ?? null,
      customerExternalId: presentText(customer.externalId),
      cost: finiteOrWarn(report.cost, 'cost', warnings),
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}

/**
 * The call's length from `startedAt` and `endedAt` (Vapi documents no duration field). `durationSeconds` and
 * `durationMs`, sent though not in the OpenAPI (VapiAI/server-sdk-typescript#26), stand in when a time is missing.
 */
function readDuration(
  report: VapiEndOfCallReport,
  startedAt: string | null,
  endedAt: string | null,
  warnings: string[],
): number | null {
  if (startedAt !== null && endedAt !== null) {
    const seconds = (Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
    if (seconds >= 0) return seconds;
    warnings.push('endedAt: before startedAt, no duration');
    return null;
  }
  const seconds = finiteOrWarn(report.durationSeconds, 'durationSeconds', warnings);
  if (seconds !== null && seconds >= 0) return seconds;
  const ms = finiteOrWarn(report.durationMs, 'durationMs', warnings);
  return ms !== null && ms >= 0 ? ms / 1000 : null;
}

function readEndedReason(reason: string | null): [CallOutcome | null, HangupSide] {
  if (reason === null) return [null, null];
  const match = BY_LONGEST_PREFIX.find(([prefix]) => reason.startsWith(prefix));
  return match ? [match[1], match[2]] : [null, null];
}

/**
 * `analysis.structuredData`, the customer's own schema: the key `analysisKeys.intention` names holds the intention,
 * the one `analysisKeys.tags` names the tags (a list, or one text with commas), every other key is a collected
 * answer with its key as the question id.
 */
function readStructuredData(
  data: Record<string, unknown>,
  context: MappingContext,
  warnings: string[],
): { intention: Intention | null; tags: string[]; answers: CollectedAnswer[] } {
  const { intention: intentionKey, tags: tagsKey } = context.analysisKeys;
  let intention: Intention | null = null;
  let tags: string[] = [];
  const answers: CollectedAnswer[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (key === intentionKey) {
      const code = presentText(value);
      if (code === null && value !== null && typeof value === 'object')
        warnings.push(`analysis.structuredData.${key}: not a single value, no intention`);
      if (code !== null) intention = { code, label: ownValue(context.intentionLabels, code) ?? code };
    } else if (key === tagsKey) {
      tags = Array.isArray(value)
        ? distinctTexts(value)
        : typeof value === 'string'
          ? distinctTexts(value.split(TAG_SEPARATORS))
          : distinctTexts([value]);
    } else {
      answers.push({ questionId: key, question: null, answer: answerText(value), hit: null, note: null });
    }
  }
  return { intention, tags, answers };
}

/** An answer as text: a list of values joined with commas, an object as JSON. */
function answerText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object'))
    return (
      value
        .map(presentText)
        .filter((item) => item !== null)
        .join(', ') || null
    );
  if (typeof value === 'object') return JSON.stringify(value);
  return presentText(value);
}
