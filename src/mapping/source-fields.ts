import type { CallRecord } from '../vendors/call-record.js';
// `{{vendorName}}` is the vendor's display name, a fact of its definition (mapping may read vendors/: see the layer rules).
import { vendorDefinition } from '../vendors/vendors.js';
import { hasOwnKey, ownValue } from '../common/own-value.js';

/**
 * The fields of a call an admin can map or use in a template: paths into `CallRecord`, plus a few computed ones.
 * Anything under `extras.` is the vendor's own data and is accepted as text.
 */
export type SourceKind = 'text' | 'number' | 'datetime' | 'list';

const SUMMARY_TITLE = /摘要|总结|summary/i;

export const SOURCE_FIELDS: Record<string, SourceKind> = {
  vendor: 'text',
  vendorName: 'text',
  vendorCallId: 'text',
  eventKind: 'text',
  eventName: 'text',
  direction: 'text',
  'customer.phone.e164': 'text',
  'customer.phone.raw': 'text',
  'customer.name': 'text',
  'customer.email': 'text',
  'customer.company': 'text',
  'linePhone.e164': 'text',
  'linePhone.raw': 'text',
  startedAt: 'datetime',
  answeredAt: 'datetime',
  endedAt: 'datetime',
  durationSeconds: 'number',
  talkSeconds: 'number',
  ringSeconds: 'number',
  outcome: 'text',
  'hangup.side': 'text',
  'hangup.reason': 'text',
  recordingUrl: 'text',
  'intention.code': 'text',
  'intention.label': 'text',
  tags: 'list',
  answers: 'list',
  analysis: 'list',
  summary: 'text',
  sentiment: 'text',
  success: 'text',
  'campaign.id': 'text',
  'campaign.name': 'text',
  'script.id': 'text',
  'script.name': 'text',
  'account.id': 'text',
  'account.name': 'text',
  'location.province': 'text',
  'location.city': 'text',
  'location.operator': 'text',
  score: 'number',
  rounds: 'number',
};

/** Fields of the items of each list, for `{{#each}}` blocks. */
export const LIST_ITEM_FIELDS: Record<string, string[]> = {
  answers: ['questionId', 'question', 'answer', 'hit', 'note'],
  analysis: ['title', 'result'],
  tags: ['.'],
};

export function isKnownSource(path: string): boolean {
  return hasOwnKey(SOURCE_FIELDS, path) || /^extras\.[\w.-]+$/.test(path);
}

export function sourceKind(path: string): SourceKind {
  return ownValue(SOURCE_FIELDS, path) ?? 'text';
}

/** The analysis item that holds the AI's summary of the conversation, if any. */
export function summaryItem(record: CallRecord): CallRecord['analysis'][number] | undefined {
  return record.analysis.find((item) => item.title && SUMMARY_TITLE.test(item.title));
}

export type SourceValue = string | number | boolean | unknown[] | null;

/** The value of a source field on a call; null when the call does not have it. */
export function readSource(record: CallRecord, path: string): SourceValue {
  if (path === 'vendorName') return vendorDefinition(record.vendor)?.displayName ?? record.vendor;
  if (path === 'summary') return record.summary ?? summaryItem(record)?.result ?? null;
  let value: unknown = record;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || !hasOwnKey(value, segment)) return null;
    value = ownValue(value as Record<string, unknown>, segment);
  }
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value as unknown[];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}
