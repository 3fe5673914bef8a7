import { ownValue } from '../../common/own-value.js';
import { callIdText, validateEnvelope, validatePayload } from '../../common/payload-validation.js';
import type {
  CallDirection,
  CallEventKind,
  CallOutcome,
  CallRecord,
  CollectedAnswer,
  Intention,
  NamedRef,
} from '../call-record.js';
import { normalisePhone } from '../phone-number.js';
import type { AnalysisKeys, InboxEventInput, MapResult, MappingContext, VendorMapper } from '../vendor-mapper.js';
import { parseVendorInstant } from '../vendor-time.js';
import {
  absoluteUrl,
  booleanOrNull,
  distinctTexts,
  finiteOrWarn,
  firstPresent,
  isPlainObject,
  presentText,
} from '../vendor-values.js';
import { RetellCall, RetellEnvelope } from './retell.payload.js';
import { requireCall, retellEventName } from './retell.webhook.js';

/**
 * `call_started`, `call_ended` and `call_analyzed` are events of one call. Each carries the whole call object as it
 * then stands (`call_ended` all of it but `call_analysis`), so every field read from the call object comes out the
 * same from `call_ended` and `call_analyzed`, and what only the analysis has is null on the others: merged in
 * whatever order they arrive (a newer non-empty value replaces, an empty one never erases), they give one call.
 */
const EVENT_KINDS: Record<string, CallEventKind> = {
  call_started: 'start',
  call_ended: 'hangup',
  // The richest event: the HubSpot call keeps its name once it has been seen (see mergeCallRecords).
  call_analyzed: 'collect',
};

/**
 * `disconnection_reason` → outcome, after Retell's table of reasons and the call status each comes with
 * (docs.retellai.com/reliability/debug-call-disconnect): `ended` reasons were conversations; `not_connected` ones
 * never reached the customer; the rest are errors. A voicemail, an IVR or an answering machine is not the customer
 * answering. A declined call is answered busy by the network (SIP 486/603), so it counts as busy.
 */
const ANSWERED = new Set([
  'user_hangup',
  'agent_hangup',
  'call_transfer',
  'inactivity',
  'max_duration_reached',
  'transfer_bridged',
  'transfer_cancelled',
  'manual_stopped',
  'call_take_over',
]);
const NO_ANSWER = new Set(['dial_no_answer', 'voicemail_reached', 'ivr_reached', 'machine_detected']);
const BUSY = new Set(['dial_busy', 'user_declined']);
const FAILED = new Set([
  'dial_failed',
  'invalid_destination',
  'telephony_provider_permission_denied',
  'telephony_provider_unavailable',
  'sip_routing_error',
  'marked_as_spam',
  'concurrency_limit_reached',
  'no_concurrency_fallback',
  'no_valid_payment',
  'scam_detected',
  'registered_call_timeout',
]);

/** Keys of the dynamic variables or metadata that may name the customer (as Retell's own templates name them). */
const NAME_KEYS = ['customer_name', 'name', 'full_name', 'first_name', 'user_name'];
const EMAIL_KEYS = ['customer_email', 'email', 'user_email'];
const COMPANY_KEYS = ['company', 'company_name', 'customer_company'];

export class RetellMapper implements VendorMapper {
  readonly vendor = 'retell';

  map(event: InboxEventInput, context: MappingContext): MapResult {
    const envelope = validateEnvelope(RetellEnvelope, event.payload, ['call']);
    const eventName = retellEventName(envelope);
    const eventKind = ownValue(EVENT_KINDS, eventName);
    if (!eventKind) return { kind: 'skipped', reason: `${eventName} is stored only: it is not one of a call's events` };
    const call = validatePayload(RetellCall, requireCall(envelope), 'call');
    return { kind: 'records', records: [mapCall(eventName, eventKind, call, context)] };
  }
}

function mapCall(eventName: string, eventKind: CallEventKind, call: RetellCall, context: MappingContext): CallRecord {
  const warnings: string[] = [];
  const direction = readDirection(call.direction);
  // The customer is the callee of an outbound call and the caller otherwise; a web call has neither number.
  const [customerField, lineField] =
    direction === 'outbound' ? (['to_number', 'from_number'] as const) : (['from_number', 'to_number'] as const);
  const customerPhone = normalisePhone(call[customerField], context.defaultRegion);
  if (customerPhone.e164 === null && customerPhone.raw !== null)
    warnings.push(`${customerField}: not a valid phone number`);
  const linePhone = normalisePhone(call[lineField], context.defaultRegion);

  const instant = (field: 'start_timestamp' | 'end_timestamp'): string | null => {
    const value = call[field];
    const parsed = parseVendorInstant(typeof value === 'string' ? numberText(value) : value, context.timeZone);
    if (parsed === null && presentText(value) !== null) warnings.push(`${field}: not a recognised time`);
    return parsed;
  };
  const durationMs = finiteOrWarn(call.duration_ms, 'duration_ms', warnings);
  const recordingUrl = absoluteUrl(call.recording_url);
  if (recordingUrl === null && presentText(call.recording_url) !== null) warnings.push('recording_url: not a URL');
  const reason = presentText(call.disconnection_reason);
  const analysis = call.call_analysis ?? null;
  const custom = readCustomAnalysis(analysis?.custom_analysis_data, context, warnings);
  const variables = callVariables(call);

  return {
    vendor: 'retell',
    vendorCallId: callIdText(call.call_id)!,
    eventKind,
    eventName,
    direction,
    customer: {
      phone: customerPhone,
      name: firstPresent(variables, NAME_KEYS),
      email: firstPresent(variables, EMAIL_KEYS),
      company: firstPresent(variables, COMPANY_KEYS),
    },
    linePhone,
    startedAt: instant('start_timestamp'),
    // Retell says when the call began and ended, not when it was answered.
    answeredAt: null,
    endedAt: instant('end_timestamp'),
    durationSeconds: durationMs === null ? null : durationMs / 1000,
    talkSeconds: null,
    ringSeconds: null,
    outcome: readOutcome(reason, presentText(call.call_status)),
    hangup: { side: readHangupSide(reason), reason },
    recordingUrl,
    intention: custom.intention,
    tags: custom.tags,
    answers: custom.answers,
    analysis: [],
    campaign: null,
    // The Retell agent plays the part other vendors' call scripts do.
    script: namedRef(call.agent_id, call.agent_name),
    account: null,
    location: null,
    score: null,
    rounds: null,
    summary: presentText(analysis?.call_summary),
    // `Unknown` is one of Retell's four sentiments, kept as sent.
    sentiment: typeof analysis?.user_sentiment === 'string' ? analysis.user_sentiment.trim() || null : null,
    success: presentText(analysis?.call_successful),
    extras: withoutEmpty({
      ...variables,
      call_type: presentText(call.call_type),
      agent_version: presentText(call.agent_version),
      in_voicemail: booleanOrNull(analysis?.in_voicemail),
      transfer_destination: presentText(call.transfer_destination),
      ...(warnings.length > 0 ? { warnings } : {}),
    }),
  };
}

function readDirection(value: string | null | undefined): CallDirection | null {
  const text = value?.trim().toLowerCase();
  return text === 'inbound' || text === 'outbound' ? text : null;
}

function readOutcome(reason: string | null, callStatus: string | null): CallOutcome | null {
  if (reason !== null) {
    if (ANSWERED.has(reason)) return 'answered';
    if (NO_ANSWER.has(reason)) return 'no_answer';
    if (BUSY.has(reason)) return 'busy';
    if (FAILED.has(reason) || reason.startsWith('error_')) return 'failed';
  }
  // A reason Retell added since (or none yet): the call's status says whether it connected.
  switch (callStatus) {
    case 'ended':
      return reason !== null ? 'answered' : null;
    case 'not_connected':
      return 'no_answer';
    case 'error':
      return 'failed';
    default:
      return null;
  }
}

function readHangupSide(reason: string | null): 'customer' | 'agent' | null {
  if (reason === 'user_hangup') return 'customer';
  if (reason === 'agent_hangup') return 'agent';
  return null;
}

/**
 * `call_analysis.custom_analysis_data`, the customer's own post-call schema: the key `analysisKeys.intention` names
 * holds the intention, the key `analysisKeys.tags` names the tags (a list, or text separated by commas), and every
 * other key is a collected answer with that key as its question id. Retell leaves it out for calls that never
 * connected.
 */
function readCustomAnalysis(
  data: unknown,
  context: MappingContext,
  warnings: string[],
): { intention: Intention | null; tags: string[]; answers: CollectedAnswer[] } {
  const result = { intention: null as Intention | null, tags: [] as string[], answers: [] as CollectedAnswer[] };
  if (data === null || data === undefined) return result;
  if (!isPlainObject(data)) {
    warnings.push('call_analysis.custom_analysis_data: not an object');
    return result;
  }
  const keys: AnalysisKeys = context.analysisKeys;
  for (const [key, value] of Object.entries(data)) {
    if (key === keys.intention) {
      const code = presentText(value);
      if (code !== null) result.intention = { code, label: ownValue(context.intentionLabels, code) ?? code };
    } else if (key === keys.tags) {
      result.tags = Array.isArray(value)
        ? distinctTexts(value)
        : distinctTexts((presentText(value) ?? '').split(/[,;，；、|]/));
    } else {
      result.answers.push({ questionId: key, question: null, answer: answerText(value), hit: null, note: null });
    }
  }
  return result;
}

/** An answer as text: a scalar as itself, a list of scalars joined, anything else as its JSON. */
function answerText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return presentText(value);
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object'))
    return distinctTexts(value).join(', ') || null;
  return JSON.stringify(value);
}

/**
 * The call's own variables, for templates as `extras.<name>`: the keys of `metadata`, then of
 * `retell_llm_dynamic_variables` (given when the call was made), then of `collected_dynamic_variables` (collected
 * during the call), a later one replacing an earlier one of the same name.
 */
function callVariables(call: RetellCall): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  const add = (source: unknown): void => {
    if (!isPlainObject(source)) return;
    // defineProperty: a key such as `__proto__` stays an ordinary key of the copy.
    for (const [key, value] of Object.entries(source))
      Object.defineProperty(variables, key, { value, enumerable: true, writable: true, configurable: true });
  };
  add(call.metadata);
  add(call.retell_llm_dynamic_variables);
  add(call.collected_dynamic_variables);
  if (call.metadata !== null && call.metadata !== undefined && !isPlainObject(call.metadata))
    add({ metadata: call.metadata });
  return variables;
}

function namedRef(id: unknown, name: unknown): NamedRef | null {
  const ref = { id: presentText(id), name: presentText(name) };
  return ref.id === null && ref.name === null ? null : ref;
}

/** Extras without absent values: a later event of the call that lacks one never erases an earlier one's. */
function withoutEmpty(extras: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(extras)) if (value === null || value === undefined) delete extras[key];
  return extras;
}

/** Epoch digits as a number (`"1764063000000"`); any other text as it is, for the time reader. */
function numberText(value: string): string | number {
  return /^\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : value;
}
