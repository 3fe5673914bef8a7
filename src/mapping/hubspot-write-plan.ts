import { DEFAULT_OUTCOMES } from './hubspot-call-outcomes.js';
import { type ConnectorSettings, type PropertyMapping, type WriteMode } from '../config/mapping/mapping-settings.js';
import type { Properties } from '../hubspot/hubspot.port.js';
import type { CallRecord } from '../vendors/call-record.js';
import type { ConnectorPropertyNames } from './connector-properties.js';
import { CALL_DISPOSITIONS, callBodyHtml, clip, escapeHtml, MAX_TEXT, vendorCallKey } from './hubspot-call-mapping.js';
import { readSource, sourceKind, type SourceValue } from './source-fields.js';
import { renderTemplate } from './template.js';
import { ownValue } from '../common/own-value.js';
import { sliceWhole } from '../common/text.js';

/**
 * What a call writes to HubSpot under the admin's mapping: pure functions shared by the sync and the preview, so
 * that a preview shows exactly what a real call writes.
 */

const CALL_STATUS: Record<string, string> = {
  answered: 'COMPLETED',
  no_answer: 'NO_ANSWER',
  busy: 'BUSY',
  failed: 'FAILED',
};

/** A contact's wanted values, by write mode, before looking at what the contact holds. */
export interface ContactPlan {
  overwrite: Properties;
  fillIfEmpty: Properties;
  /** Only when the connector creates the contact: phone, default name, lifecycle stage, marketing status. */
  onCreate: Properties;
}

export interface PlannedWrite {
  properties: Properties;
  /** Mapped values not written, and why (fill-if-empty on a filled property, never). */
  skipped: Array<{ property: string; reason: string }>;
  /** Values HubSpot could not take, left out (a talk time out of range, a recording URL too long): the call is still written. */
  dropped?: Array<{ property: string; reason: string }>;
}

export function contactPlan(
  records: CallRecord[],
  settings: ConnectorSettings,
  names: ConnectorPropertyNames,
): ContactPlan {
  const plan: ContactPlan = { overwrite: {}, fillIfEmpty: {}, onCreate: {} };
  const put = (mode: WriteMode, property: string, value: string | null): void => {
    if (value === null || value === '' || mode === 'never') return;
    (mode === 'overwrite' ? plan.overwrite : plan.fillIfEmpty)[property] = value;
  };
  // Later events of the batch win over earlier ones.
  for (const record of records) {
    for (const mapping of settings.contact.properties)
      put(mapping.mode, mapping.property, mappedValue(record, mapping));
    for (const answer of settings.answers)
      if (answer.to === 'contact') put(answer.mode, answer.property, answerValue(record, answer));
  }
  const e164 = records.find((record) => record.customer.phone.e164)?.customer.phone.e164;
  if (e164) plan.onCreate = { phone: e164 };
  if (settings.contact.defaultName && !plan.overwrite['firstname'] && !plan.fillIfEmpty['firstname'])
    plan.onCreate['firstname'] = settings.contact.defaultName;
  if (settings.contact.lifecycleStage) plan.onCreate['lifecyclestage'] = settings.contact.lifecycleStage;
  plan.onCreate['hs_marketable_status'] = settings.contact.marketingContact ? 'true' : 'false';
  // The key is written by the upsert itself; mapping it would fight the connector.
  delete plan.overwrite[names.uniquePhone];
  delete plan.fillIfEmpty[names.uniquePhone];
  return plan;
}

/**
 * The write for one contact. `current` holds the contact's values for the fill-if-empty properties (a property
 * absent from it, or empty, counts as empty); `created` is true for a contact the connector has just created.
 */
export function contactWrite(
  plan: ContactPlan,
  contact: { created: boolean; current: Record<string, string | null | undefined> },
): PlannedWrite {
  const properties: Properties = contact.created ? { ...plan.onCreate } : {};
  const skipped: PlannedWrite['skipped'] = [];
  for (const [property, value] of Object.entries(plan.fillIfEmpty)) {
    const existing = ownValue(contact.current, property);
    if (contact.created || existing === undefined || existing === null || existing === '') properties[property] = value;
    else skipped.push({ property, reason: 'fill-if-empty: the contact already has a value' });
  }
  Object.assign(properties, plan.overwrite);
  return { properties: clipAll(properties), skipped };
}

/** Properties the connector always writes on its calls, plus the admin's call mappings and call-bound answers. */
export function callWrite(
  record: CallRecord,
  settings: ConnectorSettings,
  names: ConnectorPropertyNames,
  options: {
    fallbackTimestamp: string;
    outcomeIds: Map<string, string>;
    current: Record<string, string | null | undefined> | null;
    /**
     * Intention and tag values that are not options of their select property and cannot become ones (HubSpot's
     * 5,000-option limit, a refused option update): written as text to the `unlisted` property instead.
     */
    unlisted?: ReadonlySet<string>;
  },
): PlannedWrite {
  const customer = record.customer.phone.e164 ?? record.customer.phone.raw;
  const line = record.linePhone.e164 ?? record.linePhone.raw;
  const [from, to] = record.direction === 'outbound' ? [line, customer] : [customer, line];
  const talk = record.talkSeconds ?? record.durationSeconds;
  const vendor = ownValue(settings.vendors, record.vendor);
  const properties: Properties = {
    hs_timestamp: record.startedAt ?? record.answeredAt ?? record.endedAt ?? options.fallbackTimestamp,
    hs_call_title: clip(renderTemplate(settings.call.title, record).trim() || 'AI call'),
    hs_call_body: clip(
      settings.call.body ? renderTemplate(settings.call.body, record, escapeHtml) : callBodyHtml(record),
    ),
    [names.callKey]: vendorCallKey(record),
    [names.vendor]: String(readSource(record, 'vendorName')),
  };
  if (record.direction) properties['hs_call_direction'] = record.direction === 'outbound' ? 'OUTBOUND' : 'INBOUND';
  if (record.outcome) {
    const status = ownValue(CALL_STATUS, record.outcome);
    if (status) properties['hs_call_status'] = status;
    const disposition = ownValue(CALL_DISPOSITIONS, record.outcome);
    if (disposition) properties['hs_call_disposition'] = disposition;
  }
  // An intention level mapped to an outcome names the call's outcome instead.
  const configuredOutcome = record.intention
    ? (ownValue(vendor?.intentions, record.intention.code)?.outcome ??
      ownValue(vendor?.intentions, record.intention.label)?.outcome)
    : null;
  if (configuredOutcome) {
    const id = resolveOutcome(configuredOutcome, options.outcomeIds);
    if (id) properties['hs_call_disposition'] = id;
  }
  const dropped: NonNullable<PlannedWrite['dropped']> = [];
  if (talk !== null && talk >= 0 && talk <= MAX_CALL_SECONDS)
    properties['hs_call_duration'] = String(Math.round(talk * 1000));
  else if (talk !== null)
    dropped.push({ property: 'hs_call_duration', reason: `a talk time of ${talk} s is out of range` });
  if (from) properties['hs_call_from_number'] = from;
  if (to) properties['hs_call_to_number'] = to;
  if (record.recordingUrl?.startsWith('https://') && record.recordingUrl.length <= MAX_TEXT)
    properties['hs_call_recording_url'] = record.recordingUrl;
  else if (record.recordingUrl?.startsWith('https://'))
    dropped.push({ property: 'hs_call_recording_url', reason: 'the recording URL is longer than HubSpot takes' });

  const unlisted = options.unlisted ?? new Set<string>();
  const overflow: string[] = [];
  const intention = intentionValue(record);
  if (intention && settings.call.intention.as === 'select' && unlisted.has(intention))
    overflow.push(`Intention: ${intention}`);
  else if (intention) properties[settings.call.intention.property] = intention;
  const tags = tagValues(record);
  if (settings.call.tags.as === 'multi-select') {
    const listed = tags.filter((tag) => !unlisted.has(tag));
    if (listed.length > 0) properties[settings.call.tags.property] = listed.join(';');
    if (listed.length < tags.length) overflow.push(`Tags: ${tags.filter((tag) => unlisted.has(tag)).join(', ')}`);
  } else if (tags.length > 0) properties[settings.call.tags.property] = tags.join(', ');
  if (overflow.length > 0) properties[names.unlisted] = clip(overflow.join('\n'));
  if (record.answers.length > 0)
    properties[names.answers] = clip(
      record.answers
        .map((answer) => `${answer.question ?? answer.questionId ?? '?'}: ${answer.answer ?? '—'}`)
        .join('\n'),
    );
  const summary = readSource(record, 'summary');
  if (typeof summary === 'string' && summary) properties[names.summary] = clip(summary);
  const campaign = record.campaign?.name ?? record.campaign?.id;
  if (campaign) properties[names.campaign] = campaign;
  for (const [property, value] of [
    [names.score, record.score],
    [names.rounds, record.rounds],
  ] as const) {
    if (value === null) continue;
    if (Number.isFinite(value) && Math.abs(value) <= MAX_NUMBER) properties[property] = String(value);
    else dropped.push({ property, reason: `${value} is out of range for a number` });
  }

  const skipped: PlannedWrite['skipped'] = [];
  const apply = (mode: WriteMode, property: string, value: string | null): void => {
    if (value === null || value === '') return;
    if (mode === 'never') return;
    const existing = ownValue(options.current, property);
    if (mode === 'fill-if-empty' && existing !== undefined && existing !== null && existing !== '') {
      skipped.push({ property, reason: 'fill-if-empty: the call already has a value' });
      return;
    }
    properties[property] = value;
  };
  for (const mapping of settings.call.properties) apply(mapping.mode, mapping.property, mappedValue(record, mapping));
  for (const answer of settings.answers)
    if (answer.to === 'call') apply(answer.mode, answer.property, answerValue(record, answer));
  return { properties: clipAll(properties), skipped, dropped };
}

/** Longest call taken, in seconds (a day): a vendor's talk time beyond it is not a talk time. */
const MAX_CALL_SECONDS = 86_400;
/** Largest number written: beyond it, HubSpot's number properties lose digits. */
const MAX_NUMBER = 1e15;

/** Every value cut to what a HubSpot string property holds (a line number or task name sent at any length). */
export function clipAll(properties: Properties): Properties {
  for (const [property, value] of Object.entries(properties))
    if (value.length > MAX_TEXT) properties[property] = clip(value);
  return properties;
}

/** Whitespace and invisible characters at the ends of an option value: HubSpot refuses them there. */
const EDGE_BLANKS = /^[\s\u200B-\u200D\u2060\uFEFF]+|[\s\u200B-\u200D\u2060\uFEFF]+$/g;

/** An option value: `;` separates values in HubSpot, so it cannot appear inside one; no blanks at the ends. */
function optionValue(text: string): string {
  return sliceWhole(text.replace(/;/g, ',').replace(EDGE_BLANKS, ''), 100).replace(EDGE_BLANKS, '');
}

/** Option values for multi-select tags. */
export function tagValues(record: CallRecord): string[] {
  return [...new Set(record.tags.map(optionValue).filter((tag) => tag !== ''))];
}

export function intentionValue(record: CallRecord): string | null {
  return record.intention ? optionValue(record.intention.label) || null : null;
}

/** A configured outcome: a default outcome's name, a GUID, or a label of the portal's own outcomes. */
export function resolveOutcome(outcome: string, portalOutcomes: Map<string, string>): string | null {
  const known = ownValue(DEFAULT_OUTCOMES, outcome);
  if (known) return known;
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(outcome)) return outcome.toLowerCase();
  return portalOutcomes.get(outcome.toLowerCase()) ?? null;
}

function mappedValue(record: CallRecord, mapping: PropertyMapping): string | null {
  if (mapping.template) return renderTemplate(mapping.template, record).trim() || null;
  return valueText(readSource(record, mapping.source!), sourceKind(mapping.source!));
}

function answerValue(record: CallRecord, answer: ConnectorSettings['answers'][number]): string | null {
  const match = record.answers.find(
    (item) =>
      (answer.questionId !== null && item.questionId === answer.questionId) ||
      (answer.question !== null && item.question?.trim() === answer.question),
  );
  return match?.answer ?? null;
}

function valueText(value: SourceValue, kind: string): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) {
    const texts = value.map((item) =>
      typeof item === 'string' ? item : typeof item === 'object' && item ? JSON.stringify(item) : String(item),
    );
    return texts.length > 0 ? texts.join(kind === 'list' ? ';' : ', ') : null;
  }
  return String(value);
}
