import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { INBOX_STATUSES, type InboxStatus } from '../store/database.js';
import { InboxSignal } from '../store/inbox-signal.js';
import { InboxRepository } from '../store/inbox.repository.js';
import { illFormedReason, isWellFormedText } from '../common/payload-validation.js';
import { deliverySearch } from './console-security.js';
import {
  deadLetterGroups,
  deliveryItem,
  hubspotRecordUrl,
  maskedReason,
  recordsOf,
  type DeadLetterGroup,
} from './console-views.js';

/** A page of deliveries holds at most this many (default 50). */
export const MAX_PAGE = 100;
/** Dead letters read at most for grouping (the newest): each with its records, to mask what its reason quotes. */
export const DEAD_LETTER_SCAN = 2_000;
/** Ids one replay request may name. */
export const MAX_REPLAY_IDS = 1_000;

export class InvalidQueryError extends AppError {
  constructor(field: string, problem: string) {
    super('invalid_request', 400, `${field}: ${problem}`);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', 404, `${what} not found`);
  }
}

export interface DeliveryQuery {
  vendor?: string;
  status?: string;
  from?: string;
  to?: string;
  q?: string;
  before?: string;
  limit?: string;
}

/** The console's view of the inbox: deliveries and their detail, dead letters grouped by reason, replays. */
@Injectable()
export class ConsoleDeliveries {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly signal: InboxSignal,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async list(query: DeliveryQuery) {
    const limit = pageLimit(query.limit, MAX_PAGE);
    const before = wholeQuery(query.before, 'before');
    const status = query.status || undefined;
    if (status !== undefined && !(INBOX_STATUSES as string[]).includes(status))
      throw new InvalidQueryError('status', `must be one of ${INBOX_STATUSES.join(', ')}`);
    // Compared with stored text: PostgreSQL refuses a NUL in a parameter (an error, not "no match").
    for (const field of ['vendor', 'q'] as const) {
      const text = query[field];
      if (text && !isWellFormedText(text)) throw new InvalidQueryError(field, illFormedReason(text));
    }
    const search = deliverySearch(query.q);
    if (search && search.text.length > 200) throw new InvalidQueryError('q', 'must be at most 200 characters');
    const rows = await this.inbox.deliveries({
      // One past the page: whether an older page exists (a full last page answers no cursor).
      limit: limit + 1,
      ...(before !== undefined ? { before } : {}),
      ...(query.vendor ? { vendor: query.vendor } : {}),
      ...(status ? { status: status as InboxStatus } : {}),
      ...(query.from ? { from: instant(query.from, 'from') } : {}),
      ...(query.to ? { to: instant(query.to, 'to') } : {}),
      ...(search ? { search } : {}),
    });
    const page = keysetPage(rows, limit);
    return { items: page.rows.map(deliveryItem), nextBefore: page.nextBefore };
  }

  /**
   * One delivery whole: its payload (the vendor's own data, shown to signed-in operators here only), its mapped call
   * records, and where it is in HubSpot (links into app.hubspot.com when the portal is known; none in sandbox mode).
   */
  async detail(idText: string, portalId: string | null) {
    const id = wholeQuery(idText, 'id') ?? 0;
    const row = await this.inbox.findById(id);
    if (!row) throw new NotFoundError('delivery');
    const pruned = row.pruned_at !== null;
    let payload: unknown = null;
    if (!pruned && row.payload !== '') {
      try {
        payload = JSON.parse(row.payload) as unknown;
      } catch {
        payload = null;
      }
    }
    return {
      id: row.id,
      vendor: row.vendor,
      eventName: row.event_name,
      eventKey: row.event_key,
      status: row.status,
      receivedAt: row.received_at,
      updatedAt: row.updated_at,
      attempts: row.attempts,
      revision: row.revision,
      correlationId: row.correlation_id,
      nextAttemptAt: row.next_attempt_at,
      lastError: row.last_error,
      pruned,
      payload,
      records: row.records === null ? null : recordsOf(row),
      hubspot: {
        contactId: row.hubspot_contact_id,
        callId: row.hubspot_call_id,
        contactUrl: hubspotRecordUrl(portalId, 'contacts', row.hubspot_contact_id),
        callUrl: hubspotRecordUrl(portalId, 'calls', row.hubspot_call_id),
      },
    };
  }

  /** Dead events by their reason as shown (personal data masked), with counts per vendor and their ids. */
  async deadLetters(): Promise<{ groups: DeadLetterGroup[]; scanned: number; truncated: boolean }> {
    const events = await this.deadEvents();
    return { groups: deadLetterGroups(events), scanned: events.length, truncated: events.length >= DEAD_LETTER_SCAN };
  }

  /**
   * Sends dead events through again: those named by id, or those whose reason as the dead-letter list shows it equals
   * `reason`. Events whose payload was pruned cannot be sent again and are left out. The worker is woken at once.
   */
  async replay(body: Record<string, unknown>): Promise<{ queued: number; ids: number[] }> {
    let candidates: number[];
    if (Array.isArray(body['ids'])) {
      const ids = body['ids'] as unknown[];
      if (ids.length > MAX_REPLAY_IDS || !ids.every((id) => Number.isSafeInteger(id) && (id as number) > 0))
        throw new InvalidQueryError('ids', `must be at most ${MAX_REPLAY_IDS} event ids`);
      candidates = [...new Set(ids as number[])];
    } else if (typeof body['reason'] === 'string' && body['reason'] !== '') {
      const reason = body['reason'];
      candidates = (await this.deadEvents()).filter((event) => event.reason === reason).map((event) => event.id);
    } else
      throw new InvalidQueryError('body', 'give ids (a list of event ids) or reason (as the dead letters list it)');
    const ids = await this.inbox.replayableDeadIds(candidates);
    const queued = ids.length > 0 ? await this.inbox.replayDead({ ids }, this.clock.now()) : 0;
    if (queued > 0) this.signal.notify();
    return { queued, ids };
  }

  private async deadEvents(): Promise<Array<{ id: number; vendor: string; reason: string; updatedAt: string }>> {
    const rows = await this.inbox.deadEvents(DEAD_LETTER_SCAN);
    return rows.map((row) => ({
      id: row.id,
      vendor: row.vendor,
      reason: maskedReason(row.last_error, recordsOf(row)) ?? '(no reason recorded)',
      updatedAt: row.updated_at,
    }));
  }
}

/** A page's `limit` query parameter: 50 when not given, else a whole number from 1 to `max` (refused otherwise). */
export function pageLimit(value: unknown, max: number): number {
  const limit = wholeQuery(value, 'limit') ?? 50;
  if (limit < 1 || limit > max) throw new InvalidQueryError('limit', `must be from 1 to ${max}`);
  return limit;
}

/**
 * A page of rows read newest first with one row past `limit` asked for: the page, and the cursor of the next (older)
 * page (the last id shown), null when that extra row did not come (this page is the last, full or not).
 */
export function keysetPage<T extends { id: number }>(
  rows: T[],
  limit: number,
): { rows: T[]; nextBefore: number | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextBefore: rows.length > limit ? page[page.length - 1]!.id : null };
}

/** A query parameter that is a whole number, or not given (undefined); anything else is refused, naming it. */
export function wholeQuery(value: unknown, field: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value))
    throw new InvalidQueryError(field, 'must be a whole number');
  return Number(value);
}

function instant(text: string, field: string): string {
  const at = Date.parse(text);
  if (!Number.isFinite(at)) throw new InvalidQueryError(field, 'must be a date and time (ISO 8601)');
  return new Date(at).toISOString();
}
