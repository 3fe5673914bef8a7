import { Inject, Injectable } from '@nestjs/common';
import { sql, type Expression } from 'kysely';
import { leaseNow, storeDialect, type StoreDb, type StoreDialect } from './database.js';
import { STORE_DB } from './inbox.repository.js';

/** A lease as one instance holds it: its epoch is the fencing token of everything it writes while it leads. */
export interface HeldLease {
  portalId: string;
  holder: string;
  epoch: number;
}

/** Who holds a portal's lease, for health and metrics. */
export interface LeaseView {
  holder: string;
  epoch: number;
  expiresAt: string;
  acquiredAt: string;
  /** Whether the lease has run out (judged by the store's clock). */
  expired: boolean;
}

/**
 * The sync lease per HubSpot portal: a row with an epoch that grows with each new holder (a fencing token).
 * PostgreSQL judges expiry on the server's clock (`now()`), so instances' clocks never disagree about who leads;
 * SQLite (one file on one host) on the application's clock. Acquire takes only an expired lease (or a first one),
 * renew only one still held, release ends it at once (keeping the epoch, so that the next holder's is higher).
 */
@Injectable()
export class LeaseRepository {
  private readonly dialect: StoreDialect;

  constructor(@Inject(STORE_DB) private readonly db: StoreDb) {
    this.dialect = storeDialect(db);
  }

  /**
   * Takes the lease if nobody holds it, or if this holder does (a restarted instance of the same name: its earlier
   * self is gone, and the new epoch fences whatever it left). Answers the held lease, or null when another holds it.
   */
  async acquire(portalId: string, holder: string, ttlMs: number, now: Date): Promise<HeldLease | null> {
    const row = await this.db
      .insertInto('sync_leases')
      .values({ portal_id: portalId, holder, epoch: 1, expires_at: this.after(now, ttlMs), acquired_at: this.at(now) })
      .onConflict((conflict) =>
        conflict
          .column('portal_id')
          .doUpdateSet({
            holder: (eb) => eb.ref('excluded.holder'),
            epoch: sql<number>`sync_leases.epoch + 1`,
            expires_at: (eb) => eb.ref('excluded.expires_at'),
            acquired_at: (eb) => eb.ref('excluded.acquired_at'),
          })
          .where((eb) =>
            eb.or([
              eb('sync_leases.expires_at', '<=', this.at(now)),
              eb('sync_leases.holder', '=', eb.ref('excluded.holder')),
            ]),
          ),
      )
      .returning('epoch')
      .executeTakeFirst();
    return row ? { portalId, holder, epoch: Number(row.epoch) } : null;
  }

  /** Extends a lease still held; false when it ran out or another instance took it (the holder must stop). */
  async renew(lease: HeldLease, ttlMs: number, now: Date): Promise<boolean> {
    const result = await this.db
      .updateTable('sync_leases')
      .set({ expires_at: this.after(now, ttlMs) })
      .where('portal_id', '=', lease.portalId)
      .where('holder', '=', lease.holder)
      .where('epoch', '=', lease.epoch)
      .where('expires_at', '>', this.at(now))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Ends a lease at once (a graceful stop): the next instance takes over without waiting for it to run out. */
  async release(lease: HeldLease, now: Date): Promise<void> {
    await this.db
      .updateTable('sync_leases')
      .set({ expires_at: this.at(now) })
      .where('portal_id', '=', lease.portalId)
      .where('holder', '=', lease.holder)
      .where('epoch', '=', lease.epoch)
      .execute();
  }

  /** How long until the lease runs out, by the store's clock (negative once it has); null when there is none. */
  async remainingMs(portalId: string, now: Date): Promise<number | null> {
    if (this.dialect === 'sqlite') {
      const row = await this.db
        .selectFrom('sync_leases')
        .select('expires_at')
        .where('portal_id', '=', portalId)
        .executeTakeFirst();
      return row ? Date.parse(String(row.expires_at)) - now.getTime() : null;
    }
    const row = await this.db
      .selectFrom('sync_leases')
      .select(sql<number>`extract(epoch from (expires_at - now())) * 1000`.as('remaining'))
      .where('portal_id', '=', portalId)
      .executeTakeFirst();
    return row ? Number(row.remaining) : null;
  }

  async view(portalId: string, now: Date): Promise<LeaseView | null> {
    const row = await this.db
      .selectFrom('sync_leases')
      .select(['holder', 'epoch', 'expires_at', 'acquired_at'])
      .select((eb) => eb('expires_at', '<=', this.at(now)).as('expired'))
      .where('portal_id', '=', portalId)
      .executeTakeFirst();
    if (!row) return null;
    const text = (value: string | Date) => (value instanceof Date ? value.toISOString() : value);
    return {
      holder: row.holder,
      epoch: Number(row.epoch),
      expiresAt: text(row.expires_at),
      acquiredAt: text(row.acquired_at),
      expired: Boolean(row.expired),
    };
  }

  private at(now: Date): Expression<string> | string {
    return leaseNow(this.dialect, now);
  }

  /** `ms` after "now" (see `at`). */
  private after(now: Date, ms: number): Expression<string> | string {
    return this.dialect === 'postgres'
      ? sql<string>`now() + ${ms} * interval '1 millisecond'`
      : new Date(now.getTime() + ms).toISOString();
  }
}
