import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { NotLeadingError } from '../common/app-error.js';
import { CLOCK, systemClock, type Clock } from '../common/clock.js';
import { leaseNow, storeDialect, type StoreDb, type StoreSchema } from './database.js';

/** The lease a batch is synced under: its portal and epoch (the fencing token). */
export interface FenceToken {
  portalId: string;
  epoch: number;
}

/**
 * Fences the sync path's writes to the store: while a token is held, each of them checks, in its own transaction,
 * that the lease row still carries that epoch and has not run out, and is refused with `NotLeadingError`
 * otherwise. On PostgreSQL the check takes a share lock on the lease row (`FOR SHARE`), so that no other instance
 * can take the lease over between the check and the commit: a write of an old leader either lands before the
 * takeover or not at all. With no token held (command-line tools, tests of one repository) writes are not fenced.
 *
 * The worker sets the token of each batch before it claims (`hold`), so a batch begun under one epoch never writes
 * under a later one, even when the same instance leads again in between.
 */
@Injectable()
export class SyncFence {
  private token: FenceToken | null = null;

  constructor(@Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock) {}

  hold(token: FenceToken | null): void {
    this.token = token;
  }

  get held(): FenceToken | null {
    return this.token;
  }

  /** Inside a write's transaction: refuses it unless the held lease is still this instance's (see the class). */
  async check(trx: Transaction<StoreSchema>): Promise<void> {
    const token = this.token;
    if (!token) return;
    const dialect = storeDialect(trx);
    const held = trx
      .selectFrom('sync_leases')
      .select('epoch')
      .where('portal_id', '=', token.portalId)
      .where('epoch', '=', token.epoch)
      .where('expires_at', '>', leaseNow(dialect, this.clock.now()));
    const row = await (dialect === 'postgres' ? held.forShare() : held).executeTakeFirst();
    if (!row) throw new NotLeadingError(`epoch ${token.epoch} was taken over or ran out`);
  }
}

/**
 * One sync-path write transaction: refused as a whole (`NotLeadingError`) when the sync lease it runs under is no
 * longer held; with no fence (a repository on its own), a plain transaction.
 */
export function fencedTransaction<T>(
  db: StoreDb,
  fence: SyncFence | undefined,
  run: (trx: Transaction<StoreSchema>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await fence?.check(trx);
    return run(trx);
  });
}
