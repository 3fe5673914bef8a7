import { ownValue } from '../../common/own-value.js';
import { callIdText, PayloadValidationError } from '../../common/payload-validation.js';
import type { CallOutcome, CallRecord, CollectedAnswer, PhoneNumber } from '../call-record.js';
import { normalisePhone } from '../phone-number.js';
import type { InboxEventInput, MapResult, MappingContext, VendorMapper } from '../vendor-mapper.js';
import { parseInstantAs } from '../vendor-time.js';
import { absoluteUrl, distinctTexts, finiteOrWarn, presentText } from '../vendor-values.js';
import type { ConfiguredVendorSpec, DurationField, TimeField, ValueMap } from './configured-vendor-spec.js';
import { formatValuePath, readPath, type PathSegment } from './value-path.js';

/** Items of a list read as answers, at most (as the built-in vendors' payload schemas allow). */
const MAX_ANSWERS = 1000;
const SECONDS_PER_UNIT: Record<DurationField['unit'], number> = { s: 1, ms: 0.001, min: 60 };

/**
 * Maps a stored event of a configured vendor to its call record, reading each field where the spec says. Only the
 * call id is required (a call without one cannot be keyed): every other field that is absent is left empty, and
 * one that is there but unreadable (a time in another format, a duration that is not a number) is left empty with a
 * warning on the call (`extras.warnings`), so that one odd field never loses a call.
 */
export class ConfiguredMapper implements VendorMapper {
  constructor(
    readonly vendor: string,
    private readonly spec: ConfiguredVendorSpec,
  ) {}

  map(event: InboxEventInput, context: MappingContext): MapResult {
    const body = event.payload;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new PayloadValidationError('body', 'must be a JSON object');
    const eventKind = ownValue(this.spec.callEvents, event.eventName);
    if (!eventKind) return { kind: 'skipped', reason: `event ${event.eventName} carries no call` };
    const fields = this.spec.fields;
    const at = (path: PathSegment[] | null): unknown => (path === null ? undefined : readPath(body, path));
    const text = (path: PathSegment[] | null): string | null => presentText(at(path));
    const warnings: string[] = [];

    const vendorCallId = callIdText(at(fields.callId));
    if (vendorCallId === null)
      throw new PayloadValidationError(formatValuePath(fields.callId), 'must be the call id (text or a whole number)');

    const direction = lookUp(body, fields.direction.map) ?? fields.direction.fallback;
    const phone = (path: PathSegment[] | null): PhoneNumber => {
      const number = normalisePhone(at(path), context.defaultRegion);
      if (path !== null && number.raw !== null && number.e164 === null)
        warnings.push(`${formatValuePath(path)}: not a valid phone number`);
      return number;
    };
    let customerPhone: PhoneNumber;
    let linePhone: PhoneNumber;
    if (fields.fromNumber !== null || fields.toNumber !== null) {
      // The customer called in (from) or was called (to); without a direction, neither number is the customer's.
      if (direction === null) {
        warnings.push('direction: unknown, so which number is the customer is unknown');
        customerPhone = { e164: null, raw: null };
        linePhone = { e164: null, raw: null };
      } else {
        const [customer, line] =
          direction === 'outbound' ? [fields.toNumber, fields.fromNumber] : [fields.fromNumber, fields.toNumber];
        customerPhone = phone(customer);
        linePhone = phone(line);
      }
    } else {
      customerPhone = phone(fields.customerNumber);
      linePhone = phone(fields.lineNumber);
    }

    const instant = (field: TimeField | null): string | null => {
      if (field === null) return null;
      const value = readPath(body, field.path);
      const parsed = parseInstantAs(value, field.format, field.zone ?? context.timeZone);
      if (parsed === null && presentText(value) !== null)
        warnings.push(`${formatValuePath(field.path)}: not a time in the configured format`);
      return parsed;
    };
    const seconds = (field: DurationField | null): number | null => {
      if (field === null) return null;
      const where = formatValuePath(field.path);
      const raw = readPath(body, field.path);
      const before = warnings.length;
      const value = finiteOrWarn(raw, where, warnings);
      if (value === null) {
        if (warnings.length === before && presentText(raw) !== null) warnings.push(`${where}: not a number`);
        return null;
      }
      if (value < 0) {
        warnings.push(`${where}: a negative duration, left out`);
        return null;
      }
      return value * SECONDS_PER_UNIT[field.unit];
    };
    const recordingText = text(fields.recordingUrl);
    const recordingUrl = absoluteUrl(recordingText);
    if (recordingUrl === null && recordingText !== null && fields.recordingUrl)
      warnings.push(`${formatValuePath(fields.recordingUrl)}: not a URL`);
    const intentionCode = text(fields.intention);
    // Every field is read before the extras take the warnings.
    const startedAt = instant(fields.startedAt);
    const answeredAt = instant(fields.answeredAt);
    const endedAt = instant(fields.endedAt);
    const durationSeconds = seconds(fields.duration);
    const talkSeconds = seconds(fields.talkDuration);

    const extras: Record<string, unknown> = {};
    for (const [name, path] of Object.entries(fields.extras)) {
      const value = readPath(body, path);
      extras[name] = value === undefined ? null : value;
    }
    if (warnings.length > 0) extras['warnings'] = warnings;

    const record: CallRecord = {
      vendor: this.vendor,
      vendorCallId,
      eventKind,
      eventName: event.eventName,
      direction,
      customer: {
        phone: customerPhone,
        name: text(fields.customerName),
        email: text(fields.customerEmail),
        company: text(fields.customerCompany),
      },
      linePhone,
      startedAt,
      answeredAt,
      endedAt,
      durationSeconds,
      talkSeconds,
      ringSeconds: null,
      outcome: firstListed(body, fields.outcome),
      hangup: { side: null, reason: text(fields.hangupReason) },
      recordingUrl,
      intention: intentionCode
        ? { code: intentionCode, label: ownValue(context.intentionLabels, intentionCode) ?? intentionCode }
        : null,
      tags: readTags(at(fields.tags)),
      answers: readAnswers(body, this.spec),
      analysis: [],
      campaign: null,
      script: null,
      account: null,
      location: null,
      score: null,
      rounds: null,
      summary: text(fields.summary),
      sentiment: text(fields.sentiment),
      success: text(fields.success),
      extras,
    };
    return { kind: 'records', records: [record] };
  }
}

/** The table's value for the text at the path (trimmed, any case; `true`/`false` and numbers as their text). */
function lookUp<T extends string>(body: object, map: ValueMap<T> | null): T | null {
  if (map === null) return null;
  const value = presentText(readPath(body, map.path));
  return value === null ? null : (ownValue(map.values, value.toLowerCase()) ?? null);
}

function firstListed(body: object, maps: Array<ValueMap<CallOutcome>>): CallOutcome | null {
  for (const map of maps) {
    const outcome = lookUp(body, map);
    if (outcome !== null) return outcome;
  }
  return null;
}

function readTags(value: unknown): string[] {
  if (Array.isArray(value)) return distinctTexts(value.slice(0, MAX_ANSWERS));
  const text = presentText(value);
  return text === null ? [] : distinctTexts(text.split(/[,;，；、|]/));
}

/** An answer's value as text: a scalar as itself, anything else (a list, an object) as its JSON. */
function answerText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') return JSON.stringify(value);
  return presentText(value);
}

function readAnswers(body: object, spec: ConfiguredVendorSpec): CollectedAnswer[] {
  const answers: CollectedAnswer[] = [];
  // A key of an answers map that is also where the intention or the tags are is not an answer too.
  const taken = [spec.fields.intention, spec.fields.tags].flatMap((path) => (path ? [formatValuePath(path)] : []));
  for (const source of spec.fields.answers) {
    const value = readPath(body, source.path);
    if (source.kind === 'map') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
      for (const [key, item] of Object.entries(value).slice(0, MAX_ANSWERS)) {
        if (taken.includes(formatValuePath([...source.path, key]))) continue;
        answers.push({ questionId: key, question: null, answer: answerText(item), hit: null, note: null });
      }
    } else if (Array.isArray(value)) {
      for (const item of value.slice(0, MAX_ANSWERS)) {
        const within = (path: PathSegment[] | null): unknown => (path === null ? undefined : readPath(item, path));
        answers.push({
          questionId: presentText(within(source.questionId)),
          question: presentText(within(source.question)),
          answer: answerText(within(source.answer)),
          hit: null,
          note: null,
        });
      }
    }
  }
  return answers;
}
