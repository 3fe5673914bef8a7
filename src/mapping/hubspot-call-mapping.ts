import { DEFAULT_OUTCOMES } from './hubspot-call-outcomes.js';
import type { CallOutcome, CallRecord } from '../vendors/call-record.js';
import { summaryItem } from './source-fields.js';
import { sliceWhole } from '../common/text.js';

/** HubSpot's default call outcome (`hs_call_disposition`) for each call outcome. A failed call has none. */
export const CALL_DISPOSITIONS: Record<CallOutcome, string | null> = {
  answered: DEFAULT_OUTCOMES['connected']!,
  no_answer: DEFAULT_OUTCOMES['no-answer']!,
  busy: DEFAULT_OUTCOMES['busy']!,
  failed: null,
};

/** HubSpot's limit for a string property value. */
export const MAX_TEXT = 65_536;

export function vendorCallKey(record: Pick<CallRecord, 'vendor' | 'vendorCallId'>): string {
  return `${record.vendor}:${record.vendorCallId}`;
}

/** Rich-text body: every vendor text escaped, only `<p>`, `<b>`, `<br>`, `<ul>`, `<li>`, `<a>`. */
export function callBodyHtml(record: CallRecord): string {
  const blocks: string[] = [];
  const summary = summaryItem(record);
  const summaryText = record.summary ?? summary?.result;
  if (summaryText) blocks.push(`<p>${escapeHtml(summaryText)}</p>`);
  const facts: string[] = [];
  if (record.intention)
    facts.push(
      `<b>Intention:</b> ${escapeHtml(record.intention.label)}${record.intention.code !== record.intention.label ? ` (${escapeHtml(record.intention.code)})` : ''}`,
    );
  if (record.tags.length > 0) facts.push(`<b>Tags:</b> ${record.tags.map(escapeHtml).join(', ')}`);
  if (record.outcome) facts.push(`<b>Outcome:</b> ${record.outcome.replace('_', ' ')}`);
  if (record.sentiment) facts.push(`<b>Sentiment:</b> ${escapeHtml(record.sentiment)}`);
  if (record.success) facts.push(`<b>Successful:</b> ${escapeHtml(record.success)}`);
  if (record.campaign?.name || record.campaign?.id)
    facts.push(`<b>Campaign:</b> ${escapeHtml(record.campaign.name ?? record.campaign.id ?? '')}`);
  if (record.script?.name) facts.push(`<b>Script:</b> ${escapeHtml(record.script.name)}`);
  if (record.score !== null) facts.push(`<b>Score:</b> ${record.score}`);
  if (record.location) {
    const place = [record.location.province, record.location.city, record.location.operator]
      .filter(Boolean)
      .map((part) => escapeHtml(part!));
    if (place.length > 0) facts.push(`<b>Number location:</b> ${place.join(' ')}`);
  }
  if (record.hangup.side || record.hangup.reason) {
    facts.push(
      `<b>Hung up by:</b> ${record.hangup.side ?? 'unknown'}${record.hangup.reason ? ` (${escapeHtml(record.hangup.reason)})` : ''}`,
    );
  }
  if (record.recordingUrl && !record.recordingUrl.startsWith('https://')) {
    facts.push(`<b>Recording:</b> <a href="${escapeHtml(record.recordingUrl)}">${escapeHtml(record.recordingUrl)}</a>`);
  }
  if (record.audio) {
    const megabytes = (record.audio.bytes / 1_000_000).toFixed(1);
    facts.push(
      `<b>Audio:</b> ${escapeHtml(record.audio.format.toUpperCase())} received (${megabytes} MB), kept by the vendor: ${escapeHtml(record.audio.source)}`,
    );
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
    blocks.push(
      `<p><b>Analysis</b></p><ul>${analysis.map((item) => `<li><b>${escapeHtml(item.title ?? '')}</b> ${escapeHtml(item.result ?? '')}</li>`).join('')}</ul>`,
    );
  }
  return clip(blocks.join(''));
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A text cut to what a HubSpot string property holds, never inside a character (a surrogate pair stays whole). */
export function clip(text: string): string {
  return text.length > MAX_TEXT ? `${sliceWhole(text, MAX_TEXT - 1)}…` : text;
}
