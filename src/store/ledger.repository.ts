import { Inject, Injectable, Optional } from '@nestjs/common';
import { sql, type Selectable, type Transaction } from 'kysely';
import { DEFAULT_PORTAL } from '../config/portal.js';
import type { CallLedgerTable, StoreDb, StoreSchema } from './database.js';
import { STORE_DB, STORE_PORTAL } from './inbox.repository.js';
import { enqueueRecordings, repointRecordings, type RecordingEntry } from './recording.repository.js';
import { fencedTransaction, SyncFence } from './sync-fence.js';

export type CallLedgerRow = Selectable<CallLedgerTable>;

/** SQLite's default limit on bound parameters is 32766; chunks keep every `IN (…)` well inside any dialect's. */
const IN_CHUNK = 500;

/**
 * What the connector knows it wrote to HubSpot: which contact holds each E.164 number, and which HubSpot call
 * stands for each vendor call. The ledger is what makes a repeated or later event update instead of duplicate.
 * Every write is fenced by the sync lease (see `SyncFence`): an instance that lost the lease writes nothing.
 * Every read and write is the portal's: both ledgers are keyed by (portal, key), and a portal's numbers and calls
 * are its own (see `STORE_PORTAL` for where a second portal plugs in).
 */
@Injectable()
export class LedgerRepository {
  constructor(
    @Inject(STORE_DB) private readonly db: StoreDb,
    @Optional() private readonly fence?: SyncFence,
    @Optional() @Inject(STORE_PORTAL) private readonly portalId: string = DEFAULT_PORTAL,
  ) {}

  /** One write transaction, refused as a whole when the sync lease it runs under is no longer held. */
  private write(run: (trx: Transaction<StoreSchema>) => Promise<void>): Promise<void> {
    return fencedTransaction(this.db, this.fence, run);
  }

  /** Known contacts: id, and the mapped properties known to hold a value. */
  async contacts(e164s: string[]): Promise<Map<string, { contactId: string; filled: Set<string> }>> {
    const found = new Map<string, { contactId: string; filled: Set<string> }>();
    for (const part of chunk(e164s)) {
      const rows = await this.db
        .selectFrom('contact_ledger')
        .select(['e164', 'contact_id', 'filled'])
        .where('portal_id', '=', this.portalId)
        .where('e164', 'in', part)
        .execute();
      for (const row of rows)
        found.set(row.e164, {
          contactId: row.contact_id,
          filled: new Set(row.filled ? (JSON.parse(row.filled) as string[]) : []),
        });
    }
    return found;
  }

  async saveContacts(
    entries: Array<{ e164: string; contactId: string; origin: string; filled: Set<string> }>,
    now: Date,
  ): Promise<void> {
    if (entries.length === 0) return;
    const at = now.toISOString();
    await this.write(async (trx) => {
      for (const entry of entries) {
        const values = {
          contact_id: entry.contactId,
          origin: entry.origin,
          filled: JSON.stringify([...entry.filled].sort()),
          updated_at: at,
        };
        await trx
          .insertInto('contact_ledger')
          .values({ portal_id: this.portalId, e164: entry.e164, ...values })
          .onConflict((conflict) => conflict.columns(['portal_id', 'e164']).doUpdateSet(values))
          .execute();
      }
    });
  }

  /** HubSpot no longer has these numbers' contacts (deleted, merged away): the next call resolves them again. */
  async forgetContacts(e164s: string[]): Promise<void> {
    if (e164s.length === 0) return;
    await this.write(async (trx) => {
      for (const part of chunk(e164s))
        await trx
          .deleteFrom('contact_ledger')
          .where('portal_id', '=', this.portalId)
          .where('e164', 'in', part)
          .execute();
    });
  }

  async calls(keys: string[]): Promise<Map<string, CallLedgerRow>> {
    const found = new Map<string, CallLedgerRow>();
    for (const part of chunk(keys)) {
      const rows = await this.db
        .selectFrom('call_ledger')
        .selectAll()
        .where('portal_id', '=', this.portalId)
        .where('call_key', 'in', part)
        .execute();
      for (const row of rows) found.set(row.call_key, row);
    }
    return found;
  }

  /** HubSpot no longer has these calls (deleted there): the next event of each creates it again. */
  async forgetCalls(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const at = new Date().toISOString();
    await this.write(async (trx) => {
      for (const part of chunk(keys)) {
        await trx
          .deleteFrom('call_ledger')
          .where('portal_id', '=', this.portalId)
          .where('call_key', 'in', part)
          .execute();
        // Their recordings' files stay in HubSpot: the calls logged again are pointed at them.
        await repointRecordings(trx, this.portalId, part, at);
      }
    });
  }

  /** Records that creates are about to be sent, durably, before they are: the crash-recovery marker. */
  async markCreating(keys: string[], now: Date): Promise<void> {
    if (keys.length === 0) return;
    const at = now.toISOString();
    await this.write(async (trx) => {
      for (const key of keys) {
        await trx
          .insertInto('call_ledger')
          .values({
            portal_id: this.portalId,
            call_key: key,
            call_id: null,
            contact_id: null,
            state: 'creating',
            intent_at: at,
            create_tries: 1,
            record: null,
            updated_at: at,
          })
          // A deferred call (data kept from update-only events) becomes one being created. A create sent again (after
          // a lookup that did not find the earlier one) starts the search-lag wait anew from now: otherwise a second
          // lost answer would be followed by a create that search could not yet rule out. Synced calls stay as they are.
          .onConflict((conflict) =>
            conflict
              .columns(['portal_id', 'call_key'])
              .doUpdateSet({
                state: 'creating',
                intent_at: at,
                updated_at: at,
                create_tries: sql<number>`call_ledger.create_tries + 1`,
              })
              .where('call_ledger.state', 'in', ['deferred', 'creating']),
          )
          .execute();
      }
    });
  }

  /** Calls HubSpot holds, and (in the same write) the recordings to keep of them (see `RecordingRepository`). */
  async saveCalls(
    entries: Array<{ key: string; callId: string; contactId: string | null; record: unknown }>,
    now: Date,
    recordings: RecordingEntry[] = [],
  ): Promise<void> {
    if (entries.length === 0) return;
    const at = now.toISOString();
    await this.write(async (trx) => {
      for (const entry of entries) {
        const values = {
          call_id: entry.callId,
          contact_id: entry.contactId,
          state: 'synced' as const,
          record: JSON.stringify(entry.record),
          create_tries: 0,
          updated_at: at,
        };
        await trx
          .insertInto('call_ledger')
          .values({ portal_id: this.portalId, call_key: entry.key, intent_at: null, ...values })
          .onConflict((conflict) => conflict.columns(['portal_id', 'call_key']).doUpdateSet(values))
          .execute();
      }
      await enqueueRecordings(trx, this.portalId, recordings, at);
    });
  }

  /** Data of a call that no event so far may create: kept for merging into the call when one does. */
  async saveDeferred(entries: Array<{ key: string; record: unknown }>, now: Date): Promise<void> {
    if (entries.length === 0) return;
    const at = now.toISOString();
    await this.write(async (trx) => {
      for (const entry of entries) {
        await trx
          .insertInto('call_ledger')
          .values({
            portal_id: this.portalId,
            call_key: entry.key,
            call_id: null,
            contact_id: null,
            state: 'deferred',
            intent_at: null,
            record: JSON.stringify(entry.record),
            updated_at: at,
          })
          // Also onto a call whose create is unconfirmed: its data must reach the call once the create is confirmed or sent again.
          .onConflict((conflict) =>
            conflict
              .columns(['portal_id', 'call_key'])
              .doUpdateSet({ record: JSON.stringify(entry.record), updated_at: at })
              .where('call_ledger.state', 'in', ['deferred', 'creating']),
          )
          .execute();
      }
    });
  }

  /** HubSpot definitely did not create these calls (it refused them): the next attempt may create without a lookup. */
  async clearIntents(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.write(async (trx) => {
      for (const part of chunk(keys)) {
        // Deferred data that the failed create was carrying stays for the next attempt.
        await trx
          .updateTable('call_ledger')
          .set({ state: 'deferred', intent_at: null, create_tries: 0 })
          .where('portal_id', '=', this.portalId)
          .where('call_key', 'in', part)
          .where('state', '=', 'creating')
          .where('record', 'is not', null)
          .execute();
        await trx
          .deleteFrom('call_ledger')
          .where('portal_id', '=', this.portalId)
          .where('call_key', 'in', part)
          .where('state', '=', 'creating')
          .execute();
      }
    });
  }
}

function chunk<T>(items: T[]): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += IN_CHUNK) result.push(items.slice(index, index + IN_CHUNK));
  return result;
}
