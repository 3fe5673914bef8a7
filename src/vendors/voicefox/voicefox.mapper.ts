import { callIdText, validateEnvelope, validatePayload } from '../../common/payload-validation.js';
import type {
  AnalysisItem,
  CallDirection,
  CallEventKind,
  CallOutcome,
  CallRecord,
  CollectedAnswer,
} from '../call-record.js';
import { normalisePhone } from '../phone-number.js';
import type { InboxEventInput, MapResult, MappingContext, VendorMapper } from '../vendor-mapper.js';
import { parseVendorInstant } from '../vendor-time.js';
import {
  absoluteUrl,
  booleanOrNull,
  distinctTexts,
  finiteOrWarn,
  firstPresent,
  presentText,
} from '../vendor-values.js';
import { VoiceFoxCallData, VoiceFoxEnvelope } from './voicefox.payload.js';
import { ownValue } from '../../common/own-value.js';

const EVENT_KINDS: Record<string, CallEventKind> = {
  'callin.collect': 'collect',
  'task.call.collect': 'collect',
  'callin.hangup': 'hangup',
  'callin.transfer': 'transfer',
};

/** Analysis titles that carry the AI's intention judgement or tags (VoiceFox has no dedicated fields for them). */
const INTENTION_TITLE = /意向|intention|intent/i;
const TAGS_TITLE = /标签|^tags?$/i;
/** Keys under `extra` (the outbound task's variables for the number) that may name the customer. */
const EXTRA_NAME_KEYS = ['name', 'customer_name', '姓名', '客户姓名'];
const EXTRA_EMAIL_KEYS = ['email', '邮箱'];
const EXTRA_COMPANY_KEYS = ['company', '公司', '公司名称'];

export class VoiceFoxMapper implements VendorMapper {
  readonly vendor = 'voicefox';

  map(event: InboxEventInput, context: MappingContext): MapResult {
    const envelope = validateEnvelope(VoiceFoxEnvelope, event.payload, ['event_data']);
    const eventName = envelope.event_name.trim();
    const eventKind = ownValue(EVENT_KINDS, eventName);
    if (!eventKind) return { kind: 'skipped', reason: `event ${eventName} carries no call` };
    if (eventKind === 'transfer' && presentText(envelope.event_data['session_id']) === null) {
      return { kind: 'skipped', reason: 'callin.transfer without a session_id' };
    }
    const data = validatePayload(VoiceFoxCallData, envelope.event_data, 'event_data');
    return { kind: 'records', records: [mapCall(eventName, eventKind, data, context)] };
  }
}

function mapCall(
  eventName: string,
  eventKind: CallEventKind,
  data: VoiceFoxCallData,
  context: MappingContext,
): CallRecord {
  const warnings: string[] = [];
  const direction = readDirection(data.direction, eventName);
  // The customer is the caller on inbound calls and the callee on outbound ones.
  const customerRaw = direction === 'outbound' ? data.callee : data.caller;
  const lineRaw = direction === 'outbound' ? data.caller : data.callee;
  const customerPhone = normalisePhone(customerRaw, context.defaultRegion);
  if (customerPhone.e164 === null)
    warnings.push(`${direction === 'outbound' ? 'callee' : 'caller'}: not a valid phone number`);

  const instant = (field: 'start_at' | 'answer_at' | 'end_at'): string | null => {
    const value = data[field];
    const parsed = parseVendorInstant(value, context.timeZone);
    if (parsed === null && presentText(value) !== null) warnings.push(`${field}: not a recognised time`);
    return parsed;
  };
  const startedAt = instant('start_at');
  const answeredAt = instant('answer_at');
  const endedAt = instant('end_at');
  const talkSeconds = finiteOrWarn(data.billsec, 'billsec', warnings);
  // The task's id as sent (a long one keeps its digits); none for 0.
  const taskId = finiteOrWarn(data.task_id, 'task_id', warnings) ? presentText(data.task_id) : null;
  const hangupReason = presentText(data.hangup_reason);

  const recordingUrl = absoluteUrl(data.record_url);
  if (recordingUrl === null && presentText(data.record_url) !== null) warnings.push('record_url: not a URL');

  const analysis: AnalysisItem[] = (data.conversation_analysis ?? []).map((item) => ({
    title: presentText(item.title),
    result: presentText(item.result),
  }));
  const intentionItem = analysis.find(
    (item) => item.title !== null && INTENTION_TITLE.test(item.title) && item.result !== null,
  );
  const tagsItem = analysis.find((item) => item.title !== null && TAGS_TITLE.test(item.title) && item.result !== null);
  const extra = data.extra ?? {};

  return {
    vendor: 'voicefox',
    vendorCallId: callIdText(data.session_id)!,
    eventKind,
    eventName,
    direction,
    customer: {
      phone: customerPhone,
      name: firstPresent(extra, EXTRA_NAME_KEYS),
      email: firstPresent(extra, EXTRA_EMAIL_KEYS),
      company: firstPresent(extra, EXTRA_COMPANY_KEYS),
    },
    linePhone: normalisePhone(lineRaw, context.defaultRegion),
    startedAt,
    answeredAt,
    endedAt,
    durationSeconds: finiteOrWarn(data.duration, 'duration', warnings),
    talkSeconds,
    ringSeconds: finiteOrWarn(data.ring_time, 'ring_time', warnings),
    outcome: readOutcome(answeredAt, talkSeconds, hangupReason),
    hangup: { side: readHangupSide(data.hangup_side, direction), reason: hangupReason },
    recordingUrl,
    intention: intentionItem
      ? {
          code: intentionItem.result!,
          label: ownValue(context.intentionLabels, intentionItem.result!) ?? intentionItem.result!,
        }
      : null,
    tags: tagsItem ? distinctTexts(tagsItem.result!.split(/[,，;；、|]/)) : [],
    answers: (data.collect_targets ?? []).map((target): CollectedAnswer => ({
      questionId: presentText(target.question_uuid),
      question: presentText(target.question),
      answer: presentText(target.result),
      hit: booleanOrNull(target.hit),
      note: presentText(target.message),
    })),
    analysis,
    campaign: taskId ? { id: taskId, name: null } : null,
    script: null,
    account: null,
    location: null,
    score: null,
    rounds: null,
    summary: null,
    sentiment: null,
    success: null,
    extras: {
      task_item_id: finiteOrWarn(data.task_item_id, 'task_item_id', warnings) || null,
      assistant_infos: data.assistant_infos ?? [],
      extra,
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}

function readDirection(value: string | null | undefined, eventName: string): CallDirection {
  const text = value?.trim().toLowerCase();
  if (text === 'inbound' || text === 'outbound') return text;
  // The event says it too: callin.* is inbound, task.* is an outbound task's call.
  return eventName.startsWith('task.') ? 'outbound' : 'inbound';
}

function readHangupSide(value: string | null | undefined, direction: CallDirection): 'customer' | 'agent' | null {
  const side = value?.trim().toLowerCase();
  if (side !== 'caller' && side !== 'callee') return null;
  const customerRole = direction === 'outbound' ? 'callee' : 'caller';
  return side === customerRole ? 'customer' : 'agent';
}

function readOutcome(answeredAt: string | null, talkSeconds: number | null, hangupReason: string | null): CallOutcome {
  if (answeredAt !== null || (talkSeconds ?? 0) > 0) return 'answered';
  if (hangupReason && /busy|忙/i.test(hangupReason)) return 'busy';
  if (hangupReason && /fail|error|invalid|失败|错误|空号|停机/i.test(hangupReason)) return 'failed';
  return 'no_answer';
}
