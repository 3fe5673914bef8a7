import { maskPersonalData, maskPhone } from '../common/personal-data.js';
import type { InboxEventRow } from '../store/inbox.repository.js';
import type { CallRecord } from '../vendors/call-record.js';

/** What the console shows of stored events, mapping problems and counts: pure, so that it is unit-tested alone. */

export interface DeliveryItem {
  id: number;
  vendor: string;
  eventName: string;
  status: string;
  receivedAt: string;
  updatedAt: string;
  attempts: number;
  vendorCallIds: string[];
  /** Masked (`+86 175 **** 9887`). */
  phones: string[];
  /** Masked. */
  lastError: string | null;
}

/** An event's mapped records, or none (not yet mapped, pruned, or unreadable). */
export function recordsOf(row: Pick<InboxEventRow, 'records'>): CallRecord[] {
  if (!row.records) return [];
  try {
    const parsed = JSON.parse(row.records) as unknown;
    return Array.isArray(parsed) ? (parsed as CallRecord[]) : [];
  } catch {
    return [];
  }
}

/** The personal values of an event's calls (names, emails, numbers, companies): masked wherever they appear. */
export function personalValues(records: readonly CallRecord[]): string[] {
  return records
    .flatMap((record) => [
      record.customer?.name,
      record.customer?.email,
      record.customer?.company,
      record.customer?.phone?.e164,
      record.customer?.phone?.raw,
    ])
    .filter((value): value is string => typeof value === 'string');
}

/** A stored reason (an error, a warning) as the console lists it: personal data masked. */
export function maskedReason(text: string | null, records: readonly CallRecord[]): string | null {
  return text === null ? null : maskPersonalData(text, personalValues(records));
}

export function deliveryItem(row: InboxEventRow): DeliveryItem {
  const records = recordsOf(row);
  const unique = (values: Array<string | null | undefined>) => [
    ...new Set(values.filter((value): value is string => typeof value === 'string' && value !== '')),
  ];
  return {
    id: row.id,
    vendor: row.vendor,
    eventName: row.event_name,
    status: row.status,
    receivedAt: row.received_at,
    updatedAt: row.updated_at,
    attempts: row.attempts,
    vendorCallIds: unique(records.map((record) => record.vendorCallId)),
    phones: unique(records.map((record) => maskPhone(record.customer?.phone?.e164 ?? record.customer?.phone?.raw))),
    lastError: maskedReason(row.last_error, records),
  };
}

export interface MappingProblem {
  line: number | null;
  path: string;
  message: string;
}

/**
 * A mapping problem as the console shows it, from the text the checks write (`mapping.yaml:12 call.title: unknown
 * field "x"`): its line, where one is named, its path in the file, and the message. One without a path (a portal
 * problem in a sentence) has `path` empty.
 */
export function parseProblem(problem: string): MappingProblem {
  const located = /^\S*mapping\.yaml(?: \(version \d+\))?:(\d+) (.*)$/s.exec(problem);
  const line = located ? Number(located[1]) : null;
  const rest = located ? located[2]! : problem;
  const split = /^([^\s:]+|YAML syntax|\(top\)): (.*)$/s.exec(rest);
  return split ? { line, path: split[1]!, message: split[2]! } : { line, path: '', message: rest };
}

/**
 * The last `hours` hours, oldest first, each with its count (0 where none): `counts` keyed by `YYYY-MM-DDTHH` (UTC),
 * as the store groups them. Each entry's `hour` is the start of its hour.
 */
export function hourlySeries(
  counts: ReadonlyArray<{ hour: string; count: number }>,
  now: Date,
  hours = 24,
): Array<{ hour: string; calls: number }> {
  const byHour = new Map(counts.map((entry) => [entry.hour, entry.count]));
  const current = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  return Array.from({ length: hours }, (_, index) => {
    const start = new Date(current - (hours - 1 - index) * 3_600_000).toISOString();
    return { hour: start, calls: byHour.get(start.slice(0, 13)) ?? 0 };
  });
}

/** Where the last `hours` hours begin (the series' first hour). */
export function seriesStart(now: Date, hours = 24): Date {
  return new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - (hours - 1) * 3_600_000);
}

/** A record's page in HubSpot: `0-1` contacts, `0-48` calls (HubSpot's object type ids). */
export function hubspotRecordUrl(
  portalId: string | null,
  objectType: 'contacts' | 'calls',
  id: string | null,
): string | null {
  if (!portalId || !id) return null;
  return `https://app.hubspot.com/contacts/${encodeURIComponent(portalId)}/record/${objectType === 'contacts' ? '0-1' : '0-48'}/${encodeURIComponent(id)}`;
}

export interface DeadLetterGroup {
  reason: string;
  count: number;
  vendors: Record<string, number>;
  newestAt: string;
  ids: number[];
}

/** Dead events grouped by their reason as shown (masked), the largest group first, ids newest first. */
export function deadLetterGroups(
  events: ReadonlyArray<{ id: number; vendor: string; reason: string; updatedAt: string }>,
): DeadLetterGroup[] {
  const groups = new Map<string, { group: DeadLetterGroup; vendors: Map<string, number> }>();
  for (const event of events) {
    let entry = groups.get(event.reason);
    if (!entry) {
      entry = {
        group: { reason: event.reason, count: 0, vendors: {}, newestAt: event.updatedAt, ids: [] },
        vendors: new Map(),
      };
      groups.set(event.reason, entry);
    }
    entry.group.count++;
    entry.vendors.set(event.vendor, (entry.vendors.get(event.vendor) ?? 0) + 1);
    if (event.updatedAt > entry.group.newestAt) entry.group.newestAt = event.updatedAt;
    entry.group.ids.push(event.id);
  }
  return [...groups.values()]
    .map(({ group, vendors }) => ({
      ...group,
      vendors: Object.fromEntries(vendors),
      ids: group.ids.sort((a, b) => b - a),
    }))
    .sort((a, b) => b.count - a.count || b.newestAt.localeCompare(a.newestAt) || a.reason.localeCompare(b.reason));
}
