import { callIdText, validatePayload } from '../../common/payload-validation.js';
import type { CallOutcome, CallRecord, NamedRef } from '../call-record.js';
import { normalisePhone } from '../phone-number.js';
import type { InboxEventInput, MapResult, MappingContext, VendorMapper } from '../vendor-mapper.js';
import { parseVendorInstant } from '../vendor-time.js';
import { absoluteUrl, distinctTexts, finiteOrWarn, presentText } from '../vendor-values.js';
import { YunfuCall, type YunfuRef } from './yunfu.payload.js';
import { ownValue } from '../../common/own-value.js';

export class YunfuMapper implements VendorMapper {
  readonly vendor = 'yunfu';

  map(event: InboxEventInput, context: MappingContext): MapResult {
    const call = validatePayload(YunfuCall, event.payload, 'data item');
    return { kind: 'records', records: [mapCall(call, event.eventName, context)] };
  }
}

function mapCall(call: YunfuCall, eventName: string, context: MappingContext): CallRecord {
  const warnings: string[] = [];
  const numberData = call.number_data;
  const customerPhone = normalisePhone(numberData.number, context.defaultRegion);
  if (customerPhone.e164 === null) warnings.push('number_data.number: not a valid phone number');

  const instant = (field: string, value: unknown): string | null => {
    const parsed = parseVendorInstant(value, context.timeZone);
    if (parsed === null && presentText(value) !== null) warnings.push(`${field}: not a recognised time`);
    return parsed;
  };
  const startedAt = instant('calldate', call.calldate);
  const answeredAt = instant('answerdate', call.answerdate);
  const endedAt = instant('number_data.hangupdate', numberData.hangupdate);
  const talkSeconds = finiteOrWarn(call.bill, 'bill', warnings);

  const recordingUrl = absoluteUrl(call.voice_url);
  if (recordingUrl === null && presentText(call.voice_url) !== null) warnings.push('voice_url: not a URL');

  const intentionCode = presentText(call.intention_results);
  const customer = call.customer_data ?? {};
  const location = {
    province: presentText(numberData.province),
    city: presentText(numberData.city),
    operator: presentText(numberData.operator),
  };

  return {
    vendor: 'yunfu',
    vendorCallId: callIdText(call.callid)!,
    eventKind: 'result',
    eventName,
    // The published callback is the inbound one; the outbound one is assumed to share its shape (see vendors.md).
    direction: 'inbound',
    customer: {
      phone: customerPhone,
      name: presentText(customer.name),
      email: presentText(customer.email),
      company: presentText(customer.company),
    },
    linePhone: { e164: null, raw: null },
    startedAt,
    answeredAt,
    endedAt,
    durationSeconds: finiteOrWarn(call.duration, 'duration', warnings),
    talkSeconds,
    ringSeconds: null,
    outcome: readOutcome(answeredAt, talkSeconds),
    hangup: { side: null, reason: null },
    recordingUrl,
    intention:
      intentionCode === null
        ? null
        : {
            code: intentionCode,
            label:
              ownValue(context.intentionLabels, intentionCode.toUpperCase()) ??
              ownValue(context.intentionLabels, intentionCode) ??
              intentionCode,
          },
    tags: distinctTexts((call.tags ?? []).map((tag) => tag.name)),
    answers: [],
    analysis: [],
    campaign: namedRef(call.task),
    script: namedRef(call.group),
    account: namedRef(call.user),
    location: location.province || location.city || location.operator ? location : null,
    score: finiteOrWarn(call.score, 'score', warnings),
    rounds: finiteOrWarn(call.rounds, 'rounds', warnings),
    summary: null,
    sentiment: null,
    success: null,
    extras: {
      customer_id: presentText(call.customer_id),
      master_user_id: presentText(call.master_user_id),
      user_id: presentText(call.user_id),
      account_type: finiteOrWarn(call.type, 'type', warnings),
      level: call.level ? { id: presentText(call.level.level_id), name: presentText(call.level.level_name) } : null,
      customer_extra: customer.extra ?? null,
      ...(warnings.length > 0 ? { warnings } : {}),
    },
  };
}

function namedRef(ref: YunfuRef | null | undefined): NamedRef | null {
  if (!ref) return null;
  const id = presentText(ref.id);
  const name = presentText(ref.name);
  return id === null && name === null ? null : { id, name };
}

function readOutcome(answeredAt: string | null, talkSeconds: number | null): CallOutcome {
  return answeredAt !== null || (talkSeconds ?? 0) > 0 ? 'answered' : 'no_answer';
}
