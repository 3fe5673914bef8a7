import { ownValue } from '../../common/own-value.js';
import { callIdText, validateEnvelope, validatePayload } from '../../common/payload-validation.js';
import type {
  AnalysisItem,
  CallDirection,
  CallEventKind,
  CallOutcome,
  CallRecord,
  CollectedAnswer,
  PhoneNumber,
} from '../call-record.js';
import { normalisePhone } from '../phone-number.js';
import type { InboxEventInput, MapResult, MappingContext, VendorMapper } from '../vendor-mapper.js';
import { parseVendorInstant } from '../vendor-time.js';
import { distinctTexts, finiteOrWarn, firstPresent, isPlainObject, presentText } from '../vendor-values.js';
import {
  ELEVENLABS_AUDIO,
  ELEVENLABS_INITIATION_FAILURE,
  ELEVENLABS_TRANSCRIPTION,
  ElevenLabsEnvelope,
  ElevenLabsInitiationFailure,
  ElevenLabsStoredAudio,
  ElevenLabsTranscription,
  providerFailure,
} from './elevenlabs.payload.js';

/** Keys of the agent's own dynamic variables that may name the customer (never the `system__*` ones). */
const NAME_KEYS = ['customer_name', 'name', 'user_name', 'first_name'];
const EMAIL_KEYS = ['customer_email', 'email'];
const COMPANY_KEYS = ['company', 'company_name'];
/** How a tags answer is split when the agent collected it as one text (`pricing, callback`). */
const TAG_SEPARATORS = /[,;|\n]/;

export class ElevenLabsMapper implements VendorMapper {
  readonly vendor = 'elevenlabs';

  map(event: InboxEventInput, context: MappingContext): MapResult {
    const envelope = validateEnvelope(ElevenLabsEnvelope, event.payload, ['data']);
    const eventName = envelope.type.trim();
    switch (eventName) {
      case ELEVENLABS_TRANSCRIPTION: {
        const data = validatePayload(ElevenLabsTranscription, envelope.data, 'data');
        return { kind: 'records', records: [mapTranscription(data, context)] };
      }
      case ELEVENLABS_AUDIO: {
        const data = validatePayload(ElevenLabsStoredAudio, envelope.data, 'data');
        return { kind: 'records', records: [mapAudio(data)] };
      }
      case ELEVENLABS_INITIATION_FAILURE: {
        const data = validatePayload(ElevenLabsInitiationFailure, envelope.data, 'data');
        return mapInitiationFailure(data, envelope.event_timestamp, context);
      }
      default:
        return { kind: 'skipped', reason: `event ${eventName} carries no call` };
    }
  }
}

function mapTranscription(data: ElevenLabsTranscription, context: MappingContext): CallRecord {
  const warnings: string[] = [];
  const metadata = data.metadata ?? {};
  const phoneCall = metadata.phone_call ?? null;
  const variables = data.conversation_initiation_client_data?.dynamic_variables ?? {};
  const analysis = data.analysis ?? {};

  // Web and widget conversations have no phone_call: no direction, no numbers (`hubspot.callsWithoutPhone` decides).
  const direction = readDirection(phoneCall?.direction);
  // ElevenLabs' own variables name the numbers too, should phone_call lack one.
  const customerRaw =
    phoneCall?.external_number ??
    (direction === null
      ? null
      : ownValue(variables, direction === 'outbound' ? 'system__called_number' : 'system__caller_id'));
  const lineRaw =
    phoneCall?.agent_number ??
    (direction === null
      ? null
      : ownValue(variables, direction === 'outbound' ? 'system__caller_id' : 'system__called_number'));
  const customerPhone = readPhone(customerRaw, context.defaultRegion);
  if (customerPhone.e164 === null && customerPhone.raw !== null)
    warnings.push('metadata.phone_call.external_number: not a valid phone number');

  const startedAt = instant(metadata.start_time_unix_secs, 'metadata.start_time_unix_secs', context, warnings);
  const answeredAt = instant(metadata.accepted_time_unix_secs, 'metadata.accepted_time_unix_secs', context, warnings);
  const seconds = finiteOrWarn(metadata.call_duration_secs, 'metadata.call_duration_secs', warnings);
  const endedAt =
    startedAt !== null && seconds !== null && seconds >= 0
      ? parseVendorInstant(Date.parse(startedAt) + seconds * 1000, 'UTC')
      : null;
  const turns = Array.isArray(data.transcript) ? data.transcript.length : null;
  const terminationReason = presentText(metadata.termination_reason);
  const collected = readDataCollection(analysis.data_collection_results, context);
  const agentId = presentText(data.agent_id);
  const agentName = presentText(data.agent_name);
  const batchId = presentText(metadata.batch_call?.batch_call_id);

  return {
    ...emptyRecord(data.conversation_id, ELEVENLABS_TRANSCRIPTION, 'collect'),
    direction,
    customer: {
      phone: customerPhone,
      name: firstPresent(variables, NAME_KEYS),
      email: firstPresent(variables, EMAIL_KEYS),
      company: firstPresent(variables, COMPANY_KEYS),
    },
    linePhone: readPhone(lineRaw, context.defaultRegion),
    startedAt,
    answeredAt,
    endedAt,
    durationSeconds: seconds,
    // The conversation is the talk: it starts when the call is answered.
    talkSeconds: seconds,
    outcome: readOutcome(data.status, seconds, turns),
    hangup: { side: readHangupSide(terminationReason), reason: terminationReason },
    intention: collected.intention,
    tags: collected.tags,
    answers: collected.answers,
    analysis: readEvaluation(analysis.evaluation_criteria_results),
    campaign: batchId ? { id: batchId, name: null } : null,
    // The agent is the conversation's script: its prompt and the questions it asks.
    script: agentId || agentName ? { id: agentId, name: agentName } : null,
    rounds: turns,
    summary: presentText(analysis.transcript_summary),
    // `unknown` is a placeholder: no verdict.
    success: presentText(analysis.call_successful),
    extras: {
      agent_id: agentId,
      user_id: presentText(data.user_id),
      status: presentText(data.status),
      call_summary_title: presentText(analysis.call_summary_title),
      main_language: presentText(metadata.main_language),
      phone_call_type: presentText(phoneCall?.type),
      call_sid: presentText(phoneCall?.call_sid),
      has_audio: data.has_audio ?? null,
      dynamic_variables: variables,
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}

/**
 * The audio event names only the conversation: its record carries the audio's facts and nothing else, so that it
 * updates the conversation's call (it is an `events.update` event) without erasing what the transcription gave.
 */
function mapAudio(data: ElevenLabsStoredAudio): CallRecord {
  const conversationId = callIdText(data.conversation_id)!;
  const source = `GET /v1/convai/conversations/${conversationId}/audio`;
  const megabytes = (data.full_audio.bytes / 1_000_000).toFixed(1);
  const audio = { format: 'mp3', bytes: data.full_audio.bytes, sha256: data.full_audio.sha256, source };
  return {
    ...emptyRecord(data.conversation_id, ELEVENLABS_AUDIO, 'result'),
    audio,
    extras: {
      audio,
      audio_note: `MP3 audio of the call received (${megabytes} MB); ElevenLabs keeps it: ${source}`,
    },
  };
}

/**
 * A telephony call that never connected (busy, no answer, a SIP or Twilio error). Its provider metadata names the
 * numbers (Twilio's `To`/`From`, the SIP trunk's `to_number`/`from_number`), which is enough to log the attempt on
 * the customer; without them there is no one to log it on, and the event is stored and skipped.
 */
function mapInitiationFailure(data: ElevenLabsInitiationFailure, eventTimestamp: unknown, context: MappingContext) {
  const warnings: string[] = [];
  const failure = providerFailure(data);
  let direction: CallDirection = 'outbound';
  let customerRaw: unknown = null;
  let lineRaw: unknown = null;
  let providerReason: string | null = null;
  let providerStatus: string | null = null;
  let providerFacts: Record<string, string | null> = {};
  if (failure.kind === 'twilio') {
    const twilio = failure.twilio;
    // Twilio's Direction is `outbound-api` for the calls ElevenLabs places.
    direction = presentText(twilio.Direction)?.toLowerCase().startsWith('inbound') ? 'inbound' : 'outbound';
    [customerRaw, lineRaw] = direction === 'outbound' ? [twilio.To, twilio.From] : [twilio.From, twilio.To];
    providerStatus = presentText(twilio.CallStatus);
    providerFacts = {
      call_sid: presentText(twilio.CallSid),
      call_status: providerStatus,
      sip_response_code: presentText(twilio.SipResponseCode),
    };
  } else if (failure.kind === 'sip') {
    const sip = failure.sip;
    [customerRaw, lineRaw] = [sip.to_number, sip.from_number];
    providerReason = presentText(sip.error_reason);
    providerFacts = {
      call_sid: presentText(sip.call_sid),
      sip_status_code: presentText(sip.sip_status_code),
      sip_status: presentText(sip.sip_status),
    };
  }
  const customerPhone = readPhone(customerRaw, context.defaultRegion);
  if (customerPhone.raw === null) {
    return {
      kind: 'skipped' as const,
      reason: 'call_initiation_failure without the called number (no Twilio or SIP metadata): no one to log it on',
    };
  }
  if (customerPhone.e164 === null) warnings.push('data.metadata.body: the called number is not a valid phone number');
  const failureReason = presentText(data.failure_reason);
  const record: CallRecord = {
    ...emptyRecord(data.conversation_id, ELEVENLABS_INITIATION_FAILURE, 'hangup'),
    direction,
    customer: { phone: customerPhone, name: null, email: null, company: null },
    linePhone: readPhone(lineRaw, context.defaultRegion),
    endedAt: instant(eventTimestamp, 'event_timestamp', context, warnings),
    talkSeconds: 0,
    outcome: failureOutcome(failureReason ?? providerStatus),
    hangup: { side: null, reason: providerReason ?? failureReason },
    extras: {
      agent_id: presentText(data.agent_id),
      failure_reason: failureReason,
      provider: failure.provider,
      ...providerFacts,
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
  return { kind: 'records' as const, records: [record] };
}

/** A record of the conversation with nothing known yet: what each event adds is all its record holds. */
function emptyRecord(conversationId: string | number, eventName: string, eventKind: CallEventKind): CallRecord {
  const none: PhoneNumber = { e164: null, raw: null };
  return {
    vendor: 'elevenlabs',
    vendorCallId: callIdText(conversationId)!,
    eventKind,
    eventName,
    direction: null,
    customer: { phone: none, name: null, email: null, company: null },
    linePhone: none,
    startedAt: null,
    answeredAt: null,
    endedAt: null,
    durationSeconds: null,
    talkSeconds: null,
    ringSeconds: null,
    outcome: null,
    hangup: { side: null, reason: null },
    recordingUrl: null,
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
    summary: null,
    sentiment: null,
    success: null,
    extras: {},
  };
}

/**
 * A number as ElevenLabs may send it. The format is unconfirmed (every example is E.164): a number is read as E.164,
 * else in the default region, else, when it is only digits, as E.164 that lost its `+` (`442079460958`; a JSON
 * number cannot carry the `+`). Anything else keeps its text and gets no E.164.
 */
export function readPhone(value: unknown, defaultRegion: string): PhoneNumber {
  const phone = normalisePhone(value, defaultRegion);
  if (phone.e164 !== null || phone.raw === null) return phone;
  const digits = phone.raw.replace(/[\s().-]/g, '');
  if (!/^[1-9]\d{7,14}$/.test(digits)) return phone;
  const international = normalisePhone(`+${digits}`, defaultRegion);
  return { e164: international.e164, raw: phone.raw };
}

function readDirection(value: string | null | undefined): CallDirection | null {
  const text = value?.trim().toLowerCase();
  return text === 'inbound' || text === 'outbound' ? text : null;
}

function instant(value: unknown, field: string, context: MappingContext, warnings: string[]): string | null {
  const parsed = parseVendorInstant(value, context.timeZone);
  if (parsed === null && presentText(value) !== null) warnings.push(`${field}: not a recognised time`);
  return parsed;
}

function readOutcome(status: string | null | undefined, seconds: number | null, turns: number | null): CallOutcome {
  if (status?.trim().toLowerCase() === 'failed') return 'failed';
  return (seconds ?? 0) > 0 || (turns ?? 0) > 0 ? 'answered' : 'no_answer';
}

/** `failure_reason` is `busy`, `no-answer` or `unknown` (then Twilio's CallStatus may still say). */
function failureOutcome(reason: string | null): CallOutcome {
  const text = reason?.toLowerCase() ?? '';
  if (text === 'busy') return 'busy';
  if (text === 'no-answer' || text === 'no_answer') return 'no_answer';
  return 'failed';
}

/**
 * `termination_reason` is free text. Only the wordings known from ElevenLabs' conversations are read: the remote
 * party (the customer on a phone call) or a disconnected client (the browser of a web call) hung up; the agent's
 * `end_call` tool ended it. Anything else: unknown.
 */
function readHangupSide(reason: string | null): 'customer' | 'agent' | null {
  if (reason === null) return null;
  if (/remote party|client disconnected/i.test(reason)) return 'customer';
  if (/end_call tool/i.test(reason)) return 'agent';
  return null;
}

interface Collected {
  intention: CallRecord['intention'];
  tags: string[];
  answers: CollectedAnswer[];
}

/**
 * `data_collection_results` is the customer's own schema (`{ <id>: { value, rationale, json_schema } }`): the ids
 * that `vendors.elevenlabs.analysisKeys` names hold the intention and the tags; every other id is a collected answer,
 * its schema's description as the question and the AI's rationale as the note.
 */
function readDataCollection(results: Record<string, unknown> | null | undefined, context: MappingContext): Collected {
  const collected: Collected = { intention: null, tags: [], answers: [] };
  for (const [id, entry] of Object.entries(results ?? {})) {
    const item = isPlainObject(entry) ? entry : { value: entry };
    const value = ownValue(item, 'value');
    if (id === context.analysisKeys.intention) {
      const code = answerText(value);
      if (code !== null) collected.intention = { code, label: ownValue(context.intentionLabels, code) ?? code };
      continue;
    }
    if (id === context.analysisKeys.tags) {
      const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(TAG_SEPARATORS) : [value];
      collected.tags = distinctTexts(parts);
      continue;
    }
    const schema = ownValue(item, 'json_schema');
    collected.answers.push({
      questionId: id,
      question: isPlainObject(schema) ? presentText(ownValue(schema, 'description')) : null,
      answer: answerText(value),
      hit: null,
      note: presentText(ownValue(item, 'rationale')),
    });
  }
  return collected;
}

/** `evaluation_criteria_results`: each criterion's verdict (`success`, `failure`, `unknown`) with its rationale. */
function readEvaluation(results: Record<string, unknown> | null | undefined): AnalysisItem[] {
  return Object.entries(results ?? {}).map(([id, entry]) => {
    const item = isPlainObject(entry) ? entry : { result: entry };
    const verdict = ownValue(item, 'result');
    const verdictText = typeof verdict === 'string' ? verdict.trim() || null : presentText(verdict);
    const rationale = presentText(ownValue(item, 'rationale'));
    return {
      title: presentText(ownValue(item, 'criteria_id')) ?? id,
      result: verdictText && rationale ? `${verdictText}: ${rationale}` : (verdictText ?? rationale),
    };
  });
}

/** A collected value as text: scalars as they are, a list of scalars joined, anything else as its JSON. */
function answerText(value: unknown): string | null {
  if (Array.isArray(value)) {
    const texts = distinctTexts(value);
    return texts.length > 0 ? texts.join(', ') : null;
  }
  if (isPlainObject(value)) return JSON.stringify(value);
  return presentText(value);
}
