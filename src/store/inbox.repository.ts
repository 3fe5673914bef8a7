import { Inject, Injectable } from '@nestjs/common';
import { sql, type Selectable } from 'kysely';
import type { InboxItem } from '../vendors/vendor-webhook.js';
import { contentDigest } from './content-digest.js';
import type { InboxEventTable, InboxStatus, StoreDb } from './database.js';

export const STORE_DB = Symbol('STORE_DB');

export type InboxEventRow = Selectable<InboxEventTable>;

export interface StoreDeliveryResult {
  /** New events. */
  stored: number;
  /** Known events whose content changed (a re-grade): stored as a new revision, to be processed again. */
  revised: number;
  /** Repeated deliveries of content already stored: nothing written. */
  duplicates: number;
}

export interface EventOutcome {
  status: Extract<InboxStatus, 'mapped' | 'skipped' | 'dead'>;
  records?: unknown[];
  error?: string;
}

/** The durable inbox: raw vendor events, stored before the vendor gets its 2xx, and their processing state. */
@Injectable()
export class InboxRepository {
  constructor(@Inject(STORE_DB) private readonly db: StoreDb) {}

  /** Stores a delivery's events in one transaction: all or none. */
  async storeDelivery(vendor: string, items: InboxItem[], correlationId: string, now: Date): Promise<StoreDeliveryResult> {
    const at = now.toISOString();
    const result: StoreDeliveryResult = { stored: 0, revised: 0, duplicates: 0 };
    await this.db.transaction().execute(async (trx) => {
      for (const item of items) {
        const digest = contentDigest(item.payload);
        // A repeat with the same content changes nothing; different content under the same key is a new revision.
        const written = await trx
          .insertInto('inbox_events')
          .values({
            vendor,
            event_key: item.eventKey,
            event_name: item.eventName,
            payload: JSON.stringify(item.payload),
            content_digest: digest,
            correlation_id: correlationId,
            received_at: at,
            updated_at: at,
            revision: 1,
            status: 'pending',
            attempts: 0,
          })
          .onConflict((conflict) =>
            conflict
              .columns(['vendor', 'event_key'])
              .doUpdateSet({
                payload: (eb) => eb.ref('excluded.payload'),
                content_digest: (eb) => eb.ref('excluded.content_digest'),
                correlation_id: (eb) => eb.ref('excluded.correlation_id'),
                updated_at: (eb) => eb.ref('excluded.updated_at'),
                revision: sql`inbox_events.revision + 1`,
                status: 'pending',
                attempts: 0,
                lease_until: null,
                records: null,
                last_error: null,
              })
              .where('inbox_events.content_digest', '<>', digest),
          )
          .returning('revision')
          .executeTakeFirst();
        if (!written) result.duplicates++;
        else if (written.revision === 1) result.stored++;
        else result.revised++;
      }
    });
    return result;
  }

  /**
   * Claims up to `limit` events for processing: pending ones, and ones whose lease ran out (a worker that died
   * mid-batch). The lease makes a crash cost a delay, never a lost event.
   */
  async claim(limit: number, leaseMs: number, now: Date): Promise<InboxEventRow[]> {
    const at = now.toISOString();
    const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
    const claimable = this.db
      .selectFrom('inbox_events')
      .select('id')
      .where((eb) =>
        eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'processing'), eb('lease_until', '<', at)])]),
      )
      .orderBy('id')
      .limit(limit);
    return this.db
      .updateTable('inbox_events')
      .set({ status: 'processing', lease_until: leaseUntil, attempts: sql`attempts + 1`, updated_at: at })
      .where('id', 'in', claimable)
      .returningAll()
      .execute();
  }

  /** Records an event's outcome, unless a newer revision arrived meanwhile (that one is processed next). */
  async complete(id: number, revision: number, outcome: EventOutcome, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('inbox_events')
      .set({
        status: outcome.status,
        records: outcome.records ? JSON.stringify(outcome.records) : null,
        last_error: outcome.error ?? null,
        lease_until: null,
        updated_at: now.toISOString(),
      })
      .where('id', '=', id)
      .where('revision', '=', revision)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async countByStatus(): Promise<Record<InboxStatus, number>> {
    const rows = await this.db
      .selectFrom('inbox_events')
      .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .execute();
    const counts: Record<InboxStatus, number> = { pending: 0, processing: 0, mapped: 0, skipped: 0, dead: 0 };
    for (const row of rows) counts[row.status] = Number(row.count);
    return counts;
  }

  async list(filter: { vendor?: string; status?: InboxStatus } = {}): Promise<InboxEventRow[]> {
    let query = this.db.selectFrom('inbox_events').selectAll().orderBy('id');
    if (filter.vendor) query = query.where('vendor', '=', filter.vendor);
    if (filter.status) query = query.where('status', '=', filter.status);
    return query.execute();
  }

  async findByKey(vendor: string, eventKey: string): Promise<InboxEventRow | undefined> {
    return this.db
      .selectFrom('inbox_events')
      .selectAll()
      .where('vendor', '=', vendor)
      .where('event_key', '=', eventKey)
      .executeTakeFirst();
  }
}
