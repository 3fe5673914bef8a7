import type { Properties } from '../hubspot/hubspot.port.js';
import type { CallOutcome, CallRecord } from '../vendors/call-record.js';
import type { ConnectorPropertyNames } from './connector-properties.js';

/** HubSpot's default call outcomes (`hs_call_disposition`). A failed call has no default outcome. */
export const CALL_DISPOSITIONS: Record<CallOutcome, string | null> = {
  answered: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
  no_answer: '73a0d17f-1163-4015-bdd5-ec830791da20',
  busy: '9d9162e7-6cf3-4944-bf63-4dff82258764',
  failed: null,
};

const CALL_STATUS: Record<CallOutcome, string> = {
  answered: 'COMPLETED',
  no_answer: 'NO_ANSWER',
  busy: 'BUSY',
  failed: 'FAILED',
};

const VENDOR_NAMES: Record<string, string> = { voicefox: 'VoiceFox', yunfu: 'Yunfu' };
const SUMMARY_TITLE = /摘要|总结|summary/i;
/** HubSpot's limit for a string property value. */
const MAX_TEXT = 65_536;

export function vendorCallKey(record: Pick<CallRecord, 'vendor' | 'vendorCallId'>): string {
  return `${record.vendor}:${record.vendorCallId}`;
}

/** Option values for multi-select tags: `;` separates values in HubSpot, so it cannot appear inside one. */
export function tagOptionValues(record: CallRecord): string[] {
  return [...new Set(record.tags.map((tag) => tag.replace(/;/g, ',').trim().slice(0, 100)).filter((tag) => tag !== ''))];
}

export function intentionOptionValue(record: CallRecord): string | null {
  return record.intention ? record.intention.label.replace(/;/g, ',').trim().slice(0, 100) || null : null;
}

/**
 * The HubSpot call engagement for a call record. `fallbackTimestamp` (when the connector received the event) is
 * used only when the vendor sent no usable time, since HubSpot requires `hs_timestamp`.
 */
export function callProperties(record: CallRecord, names: ConnectorPropertyNames, fallbackTimestamp: string): Properties {
  const customer = record.customer.phone.e164 ?? record.customer.phone.raw;
  const line = record.linePhone.e164 ?? record.linePhone.raw;
  const [from, to] = record.direction === 'outbound' ? [line, customer] : [customer, line];
  const talk = record.talkSeconds ?? record.durationSeconds;
  const summary = record.analysis.find((item) => item.title && SUMMARY_TITLE.test(item.title))?.result ?? null;
  const properties: Properties = {
    hs_timestamp: record.startedAt ?? record.answeredAt ?? record.endedAt ?? fallbackTimestamp,
    hs_call_title: callTitle(record),
    hs_call_body: callBodyHtml(record),
    [names.callKey]: vendorCallKey(record),
    [names.vendor]: VENDOR_NAMES[record.vendor] ?? record.vendor,
  };
  if (record.direction) properties['hs_call_direction'] = record.direction === 'outbound' ? 'OUTBOUND' : 'INBOUND';
  if (record.outcome) {
    properties['hs_call_status'] = CALL_STATUS[record.outcome];
    const disposition = CALL_DISPOSITIONS[record.outcome];
    if (disposition) properties['hs_call_disposition'] = disposition;
  }
  if (talk !== null) properties['hs_call_duration'] = String(Math.round(talk * 1000));
  if (from) properties['hs_call_from_number'] = from;
  if (to) properties['hs_call_to_number'] = to;
  // HubSpot plays only HTTPS recordings; an http:// one is linked from the body instead.
  if (record.recordingUrl?.startsWith('https://')) properties['hs_call_recording_url'] = record.recordingUrl;
  const intention = intentionOptionValue(record);
  if (intention) properties[names.intention] = intention;
  const tags = tagOptionValues(record);
  if (tags.length > 0) properties[names.tags] = tags.join(';');
  if (record.answers.length > 0) properties[names.answers] = clip(answersText(record));
  if (summary) properties[names.summary] = clip(summary);
  const campaign = record.campaign?.name ?? record.campaign?.id;
  if (campaign) properties[names.campaign] = campaign;
  if (record.score !== null) properties[names.score] = String(record.score);
  if (record.rounds !== null) properties[names.rounds] = String(record.rounds);
  return properties;
}

/** A new contact for a call's customer. Only facts the vendor gave; placeholders never get here (mappers drop them). */
export function contactCreateProperties(record: CallRecord, names: ConnectorPropertyNames): Properties {
  const e164 = record.customer.phone.e164!;
  const properties: Properties = { [names.uniquePhone]: e164, phone: e164 };
  if (record.customer.name) properties['firstname'] = record.customer.name;
  if (record.customer.company) properties['company'] = record.customer.company;
  if (record.customer.email && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(record.customer.email)) properties['email'] = record.customer.email;
  if (record.location?.city) properties['city'] = record.location.city;
  if (record.location?.province) properties['state'] = record.location.province;
  return properties;
}

export function callTitle(record: CallRecord): string {
  const vendor = VENDOR_NAMES[record.vendor] ?? record.vendor;
  const direction = record.direction === 'outbound' ? 'outbound' : record.direction === 'inbound' ? 'inbound' : null;
  const parts = [`AI call (${vendor}${direction ? `, ${direction}` : ''})`];
  if (record.intention) parts.push(`intention ${record.intention.label}`);
  return parts.join(' · ');
}

/** Rich-text body: every vendor text escaped, only `<p>`, `<b>`, `<br>`, `<ul>`, `<li>`, `<a>`. */
export function callBodyHtml(record: CallRecord): string {
  const blocks: string[] = [];
  const summary = record.analysis.find((item) => item.title && SUMMARY_TITLE.test(item.title));
  if (summary?.result) blocks.push(`<p>${escapeHtml(summary.result)}</p>`);
  const facts: string[] = [];
  if (record.intention) facts.push(`<b>Intention:</b> ${escapeHtml(record.intention.label)}${record.intention.code !== record.intention.label ? ` (${escapeHtml(record.intention.code)})` : ''}`);
  if (record.tags.length > 0) facts.push(`<b>Tags:</b> ${record.tags.map(escapeHtml).join(', ')}`);
  if (record.outcome) facts.push(`<b>Outcome:</b> ${record.outcome.replace('_', ' ')}`);
  if (record.campaign?.name || record.campaign?.id) facts.push(`<b>Campaign:</b> ${escapeHtml(record.campaign.name ?? record.campaign.id ?? '')}`);
  if (record.script?.name) facts.push(`<b>Script:</b> ${escapeHtml(record.script.name)}`);
  if (record.score !== null) facts.push(`<b>Score:</b> ${record.score}`);
  if (record.location) {
    const place = [record.location.province, record.location.city, record.location.operator].filter(Boolean).map((part) => escapeHtml(part!));
    if (place.length > 0) facts.push(`<b>Number location:</b> ${place.join(' ')}`);
  }
  if (record.hangup.side || record.hangup.reason) {
    facts.push(`<b>Hung up by:</b> ${record.hangup.side ?? 'unknown'}${record.hangup.reason ? ` (${escapeHtml(record.hangup.reason)})` : ''}`);
  }
  if (record.recordingUrl && !record.recordingUrl.startsWith('https://')) {
    facts.push(`<b>Recording:</b> <a href="${escapeHtml(record.recordingUrl)}">${escapeHtml(record.recordingUrl)}</a>`);
  }
  if (facts.length > 0) blocks.push(`<p>${facts.join('<br>')}</p>`);
  if (record.answers.length > 0) {
    const items = record.answers.map((answer) => {
      const note = answer.note ? ` <i>(${escapeHtml(answer.note)})</i>` : '';
      return `<li><b>${escapeHtml(answer.question ?? answer.questionId ?? 'Question')}</b> ${escapeHtml(answer.answer ?? '—')}${note}</li>`;
    });
    blocks.push(`<p><b>Collected answers</b></p><ul>${items.join('')}</ul>`);
  }
  const analysis = record.analysis.filter((item) => item !== summary && (item.title || item.result));
  if (analysis.length > 0) {
    blocks.push(`<p><b>Analysis</b></p><ul>${analysis.map((item) => `<li><b>${escapeHtml(item.title ?? '')}</b> ${escapeHtml(item.result ?? '')}</li>`).join('')}</ul>`);
  }
  return clip(blocks.join(''));
}

function answersText(record: CallRecord): string {
  return record.answers.map((answer) => `${answer.question ?? answer.questionId ?? '?'}: ${answer.answer ?? '—'}`).join('\n');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
