import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  CompiledQuery,
  sql,
  type Expression,
  type ExpressionBuilder,
  type Selectable,
  type SqlBool,
  type Transaction,
} from 'kysely';
import { AppError, StoreBusyError } from '../common/app-error.js';
import { contentDigest } from '../common/content-digest.js';
import { DEFAULT_PORTAL } from '../config/portal.js';
import {
  INBOX_STATUSES,
  MAX_ROW_ID,
  possibleId,
  storeDialect,
  WAITING_STATUSES,
  type StoreDialect,
  type InboxEventTable,
  type InboxStatus,
  type StoreDb,
  type StoreSchema,
} from './database.js';
import { fencedTransaction, SyncFence } from './sync-fence.js';

/** One event of a delivery, as a vendor's webhook splitter produced it (`InboxItem` in `src/vendors/` has this shape). */
export interface NewInboxEvent {
  /** Per-vendor identity of the event: a repeated delivery has the same key and stores nothing new. */
  eventKey: string;
  eventName: string;
  payload: unknown;
  /** `key`: every repeat under the key is a duplicate, whatever its payload (see `InboxItem`). */
  sameEventBy?: 'content' | 'key';
}

export const STORE_DB = Symbol('STORE_DB');

/**
 * The HubSpot portal the inbox and ledger repositories read and write for (a `string`). Nothing provides it today, so
 * they use `DEFAULT_PORTAL`, and the sync and the webhook path need not know of portals. A second portal plugs in
 * here: a repository pair per portal, made with that portal (for each portal lease a worker holds, and for the
 * portal a webhook is for), keeping their method signatures.
 */
export const STORE_PORTAL = Symbol('STORE_PORTAL');

export type InboxEventRow = Selectable<InboxEventTable>;

export interface StoreDeliveryResult {
  /** New events. */
  stored: number;
  /** Known events whose content changed (a re-grade): stored as a new revision, to be processed again. */
  revised: number;
  /** Repeated deliveries of content already stored: nothing written. */
  duplicates: number;
}

interface InsertValues {
  portal_id: string;
  vendor: string;
  event_key: string;
  event_name: string;
  payload: string;
  content_digest: string;
  correlation_id: string;
  at: string;
}

interface PreparedInsert {
  bind(values: InsertValues): CompiledQuery;
}

interface PendingDelivery {
  vendor: string;
  items: NewInboxEvent[];
  correlationId: string;
  at: string;
  resolve: (result: StoreDeliveryResult) => void;
  reject: (error: unknown) => void;
}

export type EventOutcome =
  /** `warning`: the call is in HubSpot, but some contact values were refused (kept as `last_error`). */
  | { status: 'synced'; records: unknown[]; contactId: string | null; callId: string | null; warning?: string }
  /** `countAttempt: false`: not the event's fault (HubSpot's search catching up); its attempts stay as they are. */
  | { status: 'retrying'; records?: unknown[]; error: string; nextAttemptAt: Date; countAttempt?: boolean }
  | { status: 'skipped'; error: string }
  | { status: 'dead'; records?: unknown[]; error: string };

/**
 * The durable inbox: raw vendor events, stored before the vendor gets its 2xx, and their processing state.
 *
 * Events are stored and found by key under this repository's portal (the dedupe key is (portal, vendor, event key)).
 * The queue itself (claim, counts, hand-backs, replay) still runs over every event: with one portal all of them are
 * its. A syncer per portal adds the portal to the claim together with an index that leads with it.
 */
@Injectable()
export class InboxRepository {
  /** Deliveries waiting for the next group commit. */
  private group: PendingDelivery[] = [];
  /** A group is being committed: deliveries arriving now form the next group (one group in flight at a time). */
  private committing = false;
  private insertTemplate: PreparedInsert | null = null;

  private readonly dialect: StoreDialect;

  constructor(
    @Inject(STORE_DB) private readonly db: StoreDb,
    /** Fences the sync path's writes (claim, complete, release) by the sync lease; see `SyncFence`. */
    @Optional() private readonly fence?: SyncFence,
    /** The portal whose events this repository stores and finds (see `STORE_PORTAL`). */
    @Optional() @Inject(STORE_PORTAL) private readonly portalId: string = DEFAULT_PORTAL,
  ) {
    this.dialect = storeDialect(db);
  }

  /** A sync-path write: one transaction, refused as a whole when the sync lease it runs under is no longer held. */
  private fenced<T>(run: (trx: Transaction<StoreSchema>) => Promise<T>): Promise<T> {
    return fencedTransaction(this.db, this.fence, run);
  }

  /**
   * Stores a delivery's events, all or none, and resolves once they are committed. Deliveries arriving together
   * share one transaction (group commit): the store's per-transaction cost is paid once per burst, not per webhook,
   * and each sender still gets its answer only after its events are durable.
   */
  storeDelivery(
    vendor: string,
    items: NewInboxEvent[],
    correlationId: string,
    now: Date,
  ): Promise<StoreDeliveryResult> {
    return new Promise((resolve, reject) => {
      this.group.push({ vendor, items, correlationId, at: now.toISOString(), resolve, reject });
      if (this.group.length === 1 && !this.committing) setImmediate(() => void this.commitGroups());
    });
  }

  /**
   * Commits groups one after another: on PostgreSQL's pool two group transactions at once could upsert the same
   * keys in opposite orders and deadlock (SQLite's one connection serialised them anyway).
   */
  private async commitGroups(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.group.length > 0) {
        const deliveries = this.group;
        this.group = [];
        await this.commitGroup(deliveries);
      }
    } finally {
      this.committing = false;
    }
  }

  private async commitGroup(deliveries: PendingDelivery[]): Promise<void> {
    try {
      const results = await this.withRetryOnConflict(() =>
        this.db.transaction().execute((trx) => this.insertDeliveries(trx, deliveries)),
      );
      deliveries.forEach((delivery, index) => delivery.resolve(results[index]!));
    } catch (error) {
      if (deliveries.length === 1) {
        deliveries[0]!.reject(storeWriteFailure(error));
        return;
      }
      // One delivery's failure must not fail the others: each goes again in a transaction of its own.
      for (const delivery of deliveries) {
        try {
          const [result] = await this.withRetryOnConflict(() =>
            this.db.transaction().execute((trx) => this.insertDeliveries(trx, [delivery])),
          );
          delivery.resolve(result!);
        } catch (own) {
          delivery.reject(storeWriteFailure(own));
        }
      }
    }
  }

  /**
   * Another instance's transaction may upsert the same keys at once: PostgreSQL then aborts one of them (deadlock,
   * serialization). Such a transaction changed nothing and is run again, once.
   */
  private async withRetryOnConflict<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== '40P01' && code !== '40001') throw error;
      return run();
    }
  }

  /**
   * Inserts the events of several deliveries in one transaction, in key order (so that concurrent transactions take
   * their row locks in the same order and cannot deadlock each other); equal keys keep their arrival order, which
   * decides which delivery is the revision.
   */
  private async insertDeliveries(
    trx: Transaction<StoreSchema>,
    deliveries: PendingDelivery[],
  ): Promise<StoreDeliveryResult[]> {
    const results = deliveries.map((): StoreDeliveryResult => ({ stored: 0, revised: 0, duplicates: 0 }));
    const writes = deliveries
      .flatMap((delivery, index) => delivery.items.map((item) => ({ index, delivery, item })))
      .sort(
        (a, b) => compareText(a.delivery.vendor, b.delivery.vendor) || compareText(a.item.eventKey, b.item.eventKey),
      );
    for (const { index, delivery, item } of writes) {
      const values: InsertValues = {
        portal_id: this.portalId,
        vendor: delivery.vendor,
        event_key: item.eventKey,
        event_name: item.eventName,
        payload: JSON.stringify(item.payload),
        // Identified by its key alone, an event's digest is the key's: equal for every delivery, so never a revision.
        content_digest: contentDigest(item.sameEventBy === 'key' ? { eventKey: item.eventKey } : item.payload),
        correlation_id: delivery.correlationId,
        at: delivery.at,
      };
      const { rows } = await trx.executeQuery<{ id: number; revision: number }>(this.insertStatement().bind(values));
      const written = rows[0];
      const result = results[index]!;
      if (!written) result.duplicates++;
      else if (written.revision === 1) result.stored++;
      else {
        result.revised++;
        // The new revision is to be processed afresh: a claim on the event (of its earlier revision) ends here.
        await trx.deleteFrom('inbox_claims').where('event_id', '=', written.id).execute();
      }
    }
    return results;
  }

  /**
   * The insert-or-revise of one event, built by the query builder once (for this store's dialect) and bound to new
   * values for each event: building it per webhook was a tenth of the ingest path's CPU.
   * A repeat with the same content changes nothing; different content under the same key is a new revision.
   */
  private insertStatement(): PreparedInsert {
    if (this.insertTemplate) return this.insertTemplate;
    const marker = (name: keyof InsertValues) => `\u0000${name}\u0000`;
    const compiled = this.db
      .insertInto('inbox_events')
      .values({
        portal_id: marker('portal_id'),
        vendor: marker('vendor'),
        event_key: marker('event_key'),
        event_name: marker('event_name'),
        payload: marker('payload'),
        content_digest: marker('content_digest'),
        correlation_id: marker('correlation_id'),
        received_at: marker('at'),
        updated_at: marker('at'),
        revision: 1,
        status: 'pending',
        attempts: 0,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['portal_id', 'vendor', 'event_key'])
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
            next_attempt_at: null,
            // A pruned event's new revision carries its payload again.
            pruned_at: null,
          })
          .where('inbox_events.content_digest', '<>', marker('content_digest')),
      )
      .returning(['id', 'revision'])
      .compile();
    // Each parameter is either one of the values (found by its marker) or a constant of the statement.
    const slots = compiled.parameters.map((parameter): ((values: InsertValues) => unknown) => {
      // eslint-disable-next-line no-control-regex -- NUL brackets a marker because no stored value can contain it
      const name = typeof parameter === 'string' ? /^\u0000(\w+)\u0000$/.exec(parameter)?.[1] : undefined;
      return name ? (values) => values[name as keyof InsertValues] : () => parameter;
    });
    this.insertTemplate = {
      bind: (values) =>
        CompiledQuery.raw(
          compiled.sql,
          slots.map((slot) => slot(values)),
        ),
    };
    return this.insertTemplate;
  }

  /**
   * Claims up to `limit` events for processing, oldest first: pending ones, retrying ones whose time has come, and
   * ones whose lease ran out (a worker that died mid-batch). The lease makes a crash cost a delay, never a loss.
   *
   * A claim is a row of `inbox_claims` (see its migration, `0010-inbox-claims`): the claimed events themselves are
   * not written, so the claim costs the same however many events the store keeps.
   */
  async claim(limit: number, leaseMs: number, now: Date, epoch: number | null = null): Promise<InboxEventRow[]> {
    const at = now.toISOString();
    const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
    const rows = await this.fenced(async (trx) => {
      const waiting = (eb: ExpressionBuilder<StoreSchema, 'inbox_events'>) =>
        eb.or([
          eb('status', '=', 'pending'),
          eb.and([eb('status', '=', 'retrying'), eb('next_attempt_at', '<=', at)]),
          // Claimed by the release before `inbox_claims`, and its lease ran out.
          eb.and([eb('status', '=', 'processing'), eb('lease_until', '<', at)]),
        ]);
      const unclaimed = (eb: ExpressionBuilder<StoreSchema, 'inbox_events'>) =>
        eb.not(eb.exists(claimOf(eb).where('inbox_claims.lease_until', '>=', at)));
      // The claim of each candidate: its id, then these.
      const lease = [
        sql<string>`${leaseUntil}`.as('lease_until'),
        sql<number | null>`cast(${epoch} as integer)`.as('lease_epoch'),
        sql<string>`${at}`.as('claimed_at'),
      ];
      // A claim whose lease ran out is taken over; one that holds is left alone (another claimer's, on PostgreSQL).
      const claimRows = (claims: Expression<unknown>) =>
        trx
          .insertInto('inbox_claims')
          .columns(['event_id', 'lease_until', 'lease_epoch', 'claimed_at'])
          .expression(claims)
          .onConflict((conflict) =>
            conflict
              .column('event_id')
              .doUpdateSet({
                lease_until: (eb) => eb.ref('excluded.lease_until'),
                lease_epoch: (eb) => eb.ref('excluded.lease_epoch'),
                claimed_at: (eb) => eb.ref('excluded.claimed_at'),
              })
              .where('inbox_claims.lease_until', '<', at),
          )
          .returning('inbox_claims.event_id');
      if (this.dialect === 'postgres') {
        // Claimers run concurrently, and without row locks two of them would claim the same rows (measured: 8
        // claimers over 2,000 rows claimed 1,875 of them twice in test/e2e/store-dialects.e2e.test.ts). SKIP LOCKED
        // lets each take rows no other claim holds; a row another claim took and committed meanwhile is refused by
        // the conflict on its claim. One statement: lock, claim, and answer the claimed events.
        const candidates = trx
          .selectFrom('inbox_events')
          .selectAll()
          .where((eb) => eb.and([waiting(eb), unclaimed(eb)]))
          .orderBy('id')
          .limit(limit)
          .forUpdate()
          .skipLocked();
        return trx
          .with('picked', () => candidates)
          .with('claimed', (db) => claimRows(db.selectFrom('picked').select(['picked.id', ...lease])))
          .selectFrom('picked')
          .innerJoin('claimed', 'claimed.event_id', 'picked.id')
          .selectAll('picked')
          .execute();
      }
      // SQLite has one writer per file and no row locks: the insert claims, then the claimed events are read. Its
      // planner gathers every waiting event before it sorts them, so the claims are looked up only for the first
      // `limit` waiting events and as many more as there are claims, among which the `limit` unclaimed ones are.
      const first = trx
        .selectFrom('inbox_events')
        .select('id')
        .where(waiting)
        .orderBy('id')
        .limit(sql<number>`${limit} + (select count(*) from inbox_claims)`);
      const candidates = trx
        .selectFrom('inbox_events')
        .select(['id', ...lease])
        .where('id', 'in', first)
        .where(unclaimed)
        .orderBy('id')
        .limit(limit);
      const claimed = await claimRows(candidates).execute();
      if (claimed.length === 0) return [];
      const ids = claimed.map((row) => row.event_id);
      return trx.selectFrom('inbox_events').selectAll().where('id', 'in', ids).execute();
    });
    return rows
      .map((row) => ({
        ...row,
        status: 'processing' as const,
        lease_until: leaseUntil,
        lease_epoch: epoch,
        updated_at: at,
      }))
      .sort((a, b) => a.id - b.id);
  }

  /** How many events wait for the worker now (pending, or retrying and due; not claimed). */
  async readyCount(now: Date): Promise<number> {
    const row = await this.db
      .selectFrom('inbox_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where((eb) =>
        eb.or([
          eb('status', '=', 'pending'),
          eb.and([eb('status', '=', 'retrying'), eb('next_attempt_at', '<=', now.toISOString())]),
        ]),
      )
      .where((eb) => eb.not(eb.exists(claimOf(eb))))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** When the earliest retry is due, if any event is waiting for one (and is not claimed). */
  async nextRetryAt(): Promise<string | null> {
    const row = await this.db
      .selectFrom('inbox_events')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where('status', '=', 'retrying')
      .where((eb) => eb.not(eb.exists(claimOf(eb))))
      .executeTakeFirst();
    return row?.next ?? null;
  }

  /**
   * Hands claimed events back untouched (HubSpot as a whole is unavailable: not the events' fault, no attempt
   * counted). With `notBefore` they wait until then, so that newer events are claimed ahead of them meanwhile.
   */
  async release(ids: number[], now: Date, notBefore?: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.fenced(async (trx) => {
      await trx
        .updateTable('inbox_events')
        .set(
          notBefore
            ? {
                status: 'retrying',
                next_attempt_at: notBefore.toISOString(),
                lease_until: null,
                updated_at: now.toISOString(),
              }
            : { status: 'pending', lease_until: null, updated_at: now.toISOString() },
        )
        .where('id', 'in', ids)
        .where((eb) => claimed(eb, claimOf(eb), eb('status', '=', 'processing')))
        .execute();
      await trx.deleteFrom('inbox_claims').where('event_id', 'in', ids).execute();
    });
  }

  /**
   * Hands back events marked in flight by earlier holders of the sync lease (epoch below `epoch`, or claimed before
   * leases existed): when an instance takes over, events its predecessor had in flight were left by a process that
   * died or stopped leading, and need not wait for their claim to run out. Without an epoch: every event in flight.
   */
  async releaseOrphans(now: Date, epoch: number | null = null): Promise<number> {
    const result = await this.fenced(async (trx) => {
      // Under a sync lease: only what earlier holders claimed (claims of this epoch are this instance's own batch).
      const orphan = (claim: 'inbox_claims' | 'inbox_events') => (eb: ExpressionBuilder<StoreSchema, typeof claim>) =>
        epoch === null
          ? eb.lit(true)
          : eb.or([eb(`${claim}.lease_epoch`, 'is', null), eb(`${claim}.lease_epoch`, '<', epoch)]);
      const handedBack = await trx
        .updateTable('inbox_events')
        .set({ status: 'pending', lease_until: null, updated_at: now.toISOString() })
        .where((eb) =>
          claimed(
            eb,
            claimOf(eb).where(orphan('inbox_claims')),
            eb.and([eb('status', '=', 'processing'), orphan('inbox_events')(eb)]),
          ),
        )
        .executeTakeFirst();
      await trx.deleteFrom('inbox_claims').where(orphan('inbox_claims')).execute();
      return handedBack;
    });
    return Number(result.numUpdatedRows);
  }

  /**
   * Sends dead events through again (after the cause was fixed). Answers how many. A dead event whose payload was
   * pruned has nothing left to send and stays as it is (`deadPrunedCount` says how many a filter meets).
   */
  async replayDead(filter: { vendor?: string; ids?: number[] }, now: Date): Promise<number> {
    let query = this.db
      .updateTable('inbox_events')
      .set({ status: 'pending', attempts: 0, last_error: null, next_attempt_at: null, updated_at: now.toISOString() })
      .where('status', '=', 'dead')
      .where('pruned_at', 'is', null);
    if (filter.vendor) query = query.where('vendor', '=', filter.vendor);
    if (filter.ids) query = query.where('id', 'in', [-1, ...filter.ids.filter(possibleId)]);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Dead events, of a replay's filter, whose payload was pruned (they cannot be replayed). */
  async deadPrunedCount(filter: { vendor?: string; ids?: number[] }): Promise<number> {
    let query = this.db
      .selectFrom('inbox_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('status', '=', 'dead')
      .where('pruned_at', 'is not', null);
    if (filter.vendor) query = query.where('vendor', '=', filter.vendor);
    if (filter.ids) query = query.where('id', 'in', [-1, ...filter.ids.filter(possibleId)]);
    return Number((await query.executeTakeFirstOrThrow()).count);
  }

  /**
   * Retention: blanks the payload, mapped records and stored error of up to `limit` synced or skipped events finished
   * before `cutoff`, oldest first, and marks them pruned. Answers how many. One short statement, so that a pass made
   * of many of them never holds the store for long: on SQLite each is a brief turn of its one writer; on PostgreSQL
   * it locks only its own rows, and skips any another transaction holds (a revision arriving for one of them), so it
   * never waits on ingest. The row stays, with its key, digest and status: a redelivery is still a duplicate.
   * Running it twice, or on two instances at once, prunes nothing twice.
   */
  async prunePayloads(cutoff: Date, limit: number, now: Date): Promise<number> {
    const before = cutoff.toISOString();
    // PostgreSQL: a row another transaction holds (a revision arriving for it) is left for the next batch.
    const lock = sql.raw(this.dialect === 'postgres' ? 'for update skip locked' : '');
    const candidates = sql<{ id: number }>`(select id from ${this.prunableEvents()}
      where ${PRUNABLE} and updated_at < ${before} order by updated_at limit ${limit} ${lock})`;
    return this.pruneBatch(candidates, now);
  }

  /**
   * Prunes the events `candidates` selects (at most a batch), chosen once: a materialized CTE, since as a subquery
   * PostgreSQL may run it again for each row it updates, each run skipping the rows the statement already changed,
   * and so prune every matching row whatever the limit. One statement: on SQLite it cannot interleave with a
   * revision; on PostgreSQL the candidates are locked, and a row a revision holds is skipped (the revision wins).
   */
  private async pruneBatch(candidates: Expression<{ id: number }>, now: Date): Promise<number> {
    const result = await this.db
      .with(
        (cte) => cte('batch').materialized(),
        () => candidates,
      )
      .updateTable('inbox_events')
      .set(prunedValues(now))
      .where('id', 'in', (eb) => eb.selectFrom('batch').select('batch.id'))
      .where('pruned_at', 'is', null)
      .where('status', 'in', ['synced', 'skipped', 'dead'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** When the longest-finished synced or skipped event still holding its payload was finished; null when none. */
  async oldestPrunableFinishedAt(): Promise<string | null> {
    const { rows } = await sql<{
      at: string | null;
    }>`select min(updated_at) as at from ${this.prunableEvents()} where ${PRUNABLE}`.execute(this.db);
    return rows[0]?.at ?? null;
  }

  /**
   * The inbox, read through the partial index of the events still to prune, which stays small however many were
   * pruned. SQLite's planner, without statistics, would rather walk every synced event through (status, id), so it is
   * told (and fails loudly, rather than walking, should the index ever not serve).
   */
  private prunableEvents() {
    return sql.raw(this.dialect === 'postgres' ? 'inbox_events' : 'inbox_events indexed by inbox_events_prunable');
  }

  /** Dead events that died before `before` and still hold their payload (what `pruneDeadPayloads` would prune). */
  async deadToPruneCount(filter: DeadPruneFilter): Promise<number> {
    const row = await this.deadToPrune(filter)
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * Prunes up to `limit` dead events that died before `filter.before` (by an operator's command: dead events are kept
   * until replayed or pruned so). They stay dead, marked pruned, and can no longer be replayed. Answers how many.
   */
  async pruneDeadPayloads(filter: DeadPruneFilter, limit: number, now: Date): Promise<number> {
    const candidates = this.deadToPrune(filter).select('id').orderBy('id').limit(limit);
    return this.pruneBatch(this.dialect === 'postgres' ? candidates.forUpdate().skipLocked() : candidates, now);
  }

  private deadToPrune(filter: DeadPruneFilter) {
    let query = this.db
      .selectFrom('inbox_events')
      .where('status', '=', 'dead')
      .where('pruned_at', 'is', null)
      .where('updated_at', '<', filter.before.toISOString());
    if (filter.vendor) query = query.where('vendor', '=', filter.vendor);
    return query;
  }

  /** How many events' payloads were pruned. */
  async prunedCount(): Promise<number> {
    const row = await this.db
      .selectFrom('inbox_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('pruned_at', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * Records an event's outcome and ends its claim, unless a newer revision arrived meanwhile (that one is processed
   * next; its arrival ended the claim).
   */
  async complete(id: number, revision: number, outcome: EventOutcome, now: Date): Promise<boolean> {
    return this.fenced(async (trx) => {
      const recorded = await this.completeWith(trx, id, revision, outcome, now);
      if (recorded) await trx.deleteFrom('inbox_claims').where('event_id', '=', id).execute();
      return recorded;
    });
  }

  /** The outcomes of a batch in one transaction: one commit for the batch, not one per event. */
  async completeAll(entries: Array<{ id: number; revision: number; outcome: EventOutcome }>, now: Date): Promise<void> {
    if (entries.length === 0) return;
    await this.fenced(async (trx) => {
      const recorded: number[] = [];
      for (const entry of entries)
        if (await this.completeWith(trx, entry.id, entry.revision, entry.outcome, now)) recorded.push(entry.id);
      if (recorded.length > 0) await trx.deleteFrom('inbox_claims').where('event_id', 'in', recorded).execute();
    });
  }

  private async completeWith(
    db: StoreDb | Transaction<StoreSchema>,
    id: number,
    revision: number,
    outcome: EventOutcome,
    now: Date,
  ): Promise<boolean> {
    const records = 'records' in outcome && outcome.records ? JSON.stringify(outcome.records) : null;
    const failed = (outcome.status === 'retrying' && outcome.countAttempt !== false) || outcome.status === 'dead';
    const result = await db
      .updateTable('inbox_events')
      .set({
        status: outcome.status,
        records,
        last_error: outcome.status === 'synced' ? (outcome.warning ?? null) : outcome.error,
        next_attempt_at: outcome.status === 'retrying' ? outcome.nextAttemptAt.toISOString() : null,
        hubspot_contact_id: outcome.status === 'synced' ? outcome.contactId : null,
        hubspot_call_id: outcome.status === 'synced' ? outcome.callId : null,
        ...(failed ? { attempts: sql<number>`attempts + 1` } : {}),
        lease_until: null,
        updated_at: now.toISOString(),
      })
      .where('id', '=', id)
      .where('revision', '=', revision)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Events per status; claimed ones count as `processing`. */
  async countByStatus(): Promise<Record<InboxStatus, number>> {
    // One statement (one snapshot): the events by their own status, then the claimed ones among them by the same.
    const rows = await this.db
      .selectFrom('inbox_events')
      .select(['status', sql.lit(0).as('claimed'), (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('status')
      .unionAll(
        this.db
          .selectFrom('inbox_claims')
          .innerJoin('inbox_events', 'inbox_events.id', 'inbox_claims.event_id')
          .select(['inbox_events.status', sql.lit(1).as('claimed'), (eb) => eb.fn.countAll<number>().as('count')])
          .where('inbox_events.status', 'in', ['pending', 'retrying'])
          .groupBy('inbox_events.status'),
      )
      .execute();
    const counts = Object.fromEntries(INBOX_STATUSES.map((status) => [status, 0])) as Record<InboxStatus, number>;
    for (const row of rows) {
      const count = Number(row.count);
      if (Number(row.claimed) === 0) counts[row.status] += count;
      else {
        counts[row.status] -= count;
        counts.processing += count;
      }
    }
    return counts;
  }

  /** How many events wait to sync (`WAITING_STATUSES`). */
  async waitingCount(): Promise<number> {
    const row = await this.db
      .selectFrom('inbox_events')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('status', 'in', WAITING_STATUSES)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** When the first stored of the events waiting to sync was received; null when none waits. */
  async oldestWaitingReceivedAt(): Promise<string | null> {
    // The first id of each waiting status is one step down the (status, id) index; an `in` with `order by id` would
    // walk every waiting event, or every event from the oldest on.
    const [first, ...others] = WAITING_STATUSES.map((status) =>
      this.db
        .selectFrom('inbox_events')
        .select((eb) => eb.fn.min('id').as('id'))
        .where('status', '=', status),
    );
    const firsts = others.reduce((union, next) => union.unionAll(next), first!);
    const row = await this.db
      .selectFrom('inbox_events')
      .select('received_at')
      .where('id', '=', (eb) =>
        eb.selectFrom(firsts.as('firsts')).select((inner) => inner.fn.min('firsts.id').as('id')),
      )
      .executeTakeFirst();
    return row?.received_at ?? null;
  }

  /** Events as they are reported (a claimed one as `processing`), oldest first. */
  async list(filter: { vendor?: string; status?: InboxStatus } = {}): Promise<InboxEventRow[]> {
    let query = this.reported().orderBy('inbox_events.id');
    if (filter.vendor) query = query.where('inbox_events.vendor', '=', filter.vendor);
    if (filter.status === 'processing')
      query = query.where((eb) =>
        eb.or([eb('inbox_events.status', '=', 'processing'), eb('inbox_claims.event_id', 'is not', null)]),
      );
    else if (filter.status)
      query = query.where('inbox_events.status', '=', filter.status).where('inbox_claims.event_id', 'is', null);
    return (await query.execute()).map(asReported);
  }

  async findById(id: number): Promise<InboxEventRow | undefined> {
    if (!possibleId(id)) return undefined;
    const row = await this.reported().where('inbox_events.id', '=', id).executeTakeFirst();
    return row && asReported(row);
  }

  async findByKey(vendor: string, eventKey: string): Promise<InboxEventRow | undefined> {
    const row = await this.reported()
      .where('inbox_events.portal_id', '=', this.portalId)
      .where('inbox_events.vendor', '=', vendor)
      .where('inbox_events.event_key', '=', eventKey)
      .executeTakeFirst();
    return row && asReported(row);
  }

  /**
   * A page of events for the operator console, newest first, as reported (a claimed one as `processing`). Keyset paging
   * on the primary key: `before` is the last id of the previous page, so a page costs the same however deep it is.
   *
   * A search matches a vendor call id (a prefix of the event key, or the exact `vendorCallId` of a mapped record) and,
   * for a phone number, its digits anywhere in the mapped records (`records like '%digits%'`: they hold each call's
   * E.164 number). No index serves these (a leading wildcard; the page walks the ids), so a search reads events newest
   * first until it has a page, and every older one (its key and records, a few kilobytes) when fewer match: a cost
   * that grows with the store, paid per search an operator makes. Events not yet mapped (still pending) have no
   * records and are found by their key only.
   */
  async deliveries(filter: DeliveryFilter): Promise<InboxEventRow[]> {
    let query = this.reported().orderBy('inbox_events.id', 'desc').limit(filter.limit);
    // A cursor past every id a row can have reads from the newest.
    if (filter.before !== undefined && filter.before <= MAX_ROW_ID)
      query = query.where('inbox_events.id', '<', filter.before);
    if (filter.vendor) query = query.where('inbox_events.vendor', '=', filter.vendor);
    if (filter.from) query = query.where('inbox_events.received_at', '>=', filter.from);
    if (filter.to) query = query.where('inbox_events.received_at', '<', filter.to);
    if (filter.status === 'processing')
      query = query.where((eb) =>
        eb.or([eb('inbox_events.status', '=', 'processing'), eb('inbox_claims.event_id', 'is not', null)]),
      );
    else if (filter.status)
      query = query.where('inbox_events.status', '=', filter.status).where('inbox_claims.event_id', 'is', null);
    const search = filter.search;
    if (search) {
      const keyPrefix = `${likeEscaped(search.text)}%`;
      const inRecords = `%${likeEscaped(`"vendorCallId":${JSON.stringify(search.text)}`)}%`;
      // Digits only: nothing in that pattern is a wildcard.
      const digits = search.digits?.replace(/\D/g, '') ?? '';
      query = query.where(
        digits
          ? sql<boolean>`(inbox_events.event_key like ${keyPrefix} escape '\\' or inbox_events.records like ${inRecords} escape '\\' or inbox_events.records like ${`%${digits}%`})`
          : sql<boolean>`(inbox_events.event_key like ${keyPrefix} escape '\\' or inbox_events.records like ${inRecords} escape '\\')`,
      );
    }
    return (await query.execute()).map(asReported);
  }

  /**
   * Synced events per hour (`YYYY-MM-DDTHH`, UTC) since `since`, by the time they were finished. Read through the
   * partial index of the events still holding their payload (`inbox_events_prunable`, by `updated_at`): a day's
   * range of it, however many events the store keeps. Retention prunes an event at the earliest a day after it was
   * finished, so the last 24 hours are all there.
   */
  async syncedPerHour(since: Date): Promise<Array<{ hour: string; count: number }>> {
    const { rows } = await sql<{ hour: string; count: number | string }>`
      select substr(updated_at, 1, 13) as hour, count(*) as count from ${this.prunableEvents()}
      where ${PRUNABLE} and updated_at >= ${since.toISOString()} and status = 'synced'
      group by substr(updated_at, 1, 13)`.execute(this.db);
    return rows.map((row) => ({ hour: row.hour, count: Number(row.count) }));
  }

  /**
   * The latest `limit` dead events (id, vendor, reason, when, and the records that tell what personal data the reason may
   * quote), newest first, through the (status, id) index.
   */
  async deadEvents(
    limit: number,
  ): Promise<Array<Pick<InboxEventRow, 'id' | 'vendor' | 'last_error' | 'updated_at' | 'pruned_at' | 'records'>>> {
    return this.db
      .selectFrom('inbox_events')
      .select(['id', 'vendor', 'last_error', 'updated_at', 'pruned_at', 'records'])
      .where('status', '=', 'dead')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Of these ids, the dead events that can be replayed (their payload kept). */
  async replayableDeadIds(ids: number[]): Promise<number[]> {
    const possible = ids.filter(possibleId);
    if (possible.length === 0) return [];
    const rows = await this.db
      .selectFrom('inbox_events')
      .select('id')
      .where('id', 'in', possible)
      .where('status', '=', 'dead')
      .where('pruned_at', 'is', null)
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  }

  /** Events with their claims, if any (`asReported` makes rows of them). */
  private reported() {
    return this.db
      .selectFrom('inbox_events')
      .leftJoin('inbox_claims', (join) =>
        join.onRef('inbox_claims.event_id', '=', 'inbox_events.id').on('inbox_events.status', 'in', WAITING_STATUSES),
      )
      .selectAll('inbox_events')
      .select([
        'inbox_claims.event_id as claim_event_id',
        'inbox_claims.lease_until as claim_lease_until',
        'inbox_claims.lease_epoch as claim_lease_epoch',
        'inbox_claims.claimed_at as claim_claimed_at',
      ]);
  }
}

/** An event as `InboxRepository.reported` reads it: with its claim's lease, and when it was claimed. */
type EventWithClaim = InboxEventRow & {
  claim_event_id: number | null;
  claim_lease_until: string | null;
  claim_lease_epoch: number | null;
  claim_claimed_at: string | null;
};

/** An event as reported: a claimed one is `processing`, under its claim's lease, last changed when it was claimed. */
function asReported(row: EventWithClaim): InboxEventRow {
  const { claim_event_id, claim_lease_until, claim_lease_epoch, claim_claimed_at, ...event } = row;
  if (claim_event_id === null) return event;
  return {
    ...event,
    status: 'processing',
    lease_until: claim_lease_until,
    lease_epoch: claim_lease_epoch,
    updated_at: claim_claimed_at ?? event.updated_at,
  };
}

/** The claim (`inbox_claims`) of the event a query on `inbox_events` is at, as a subquery. */
function claimOf(eb: ExpressionBuilder<StoreSchema, 'inbox_events'>) {
  return eb
    .selectFrom('inbox_claims')
    .select('inbox_claims.event_id')
    .whereRef('inbox_claims.event_id', '=', 'inbox_events.id');
}

/**
 * Is the event claimed by `claim` (a subquery of `inbox_claims`, as `claimOf` makes it) or else, as the release before
 * `inbox_claims` claimed, marked `processing` in its own row as `legacy` says? A claim counts for an event still
 * waiting; one left on a finished event (settled by that earlier release) counts for nothing.
 */
function claimed(
  eb: ExpressionBuilder<StoreSchema, 'inbox_events'>,
  claim: ReturnType<typeof claimOf>,
  legacy: Expression<SqlBool>,
): Expression<SqlBool> {
  return eb.or([
    eb.and([eb('inbox_events.status', 'in', WAITING_STATUSES), eb.exists(claim)]),
    eb.and([legacy, eb.not(eb.exists(claimOf(eb)))]),
  ]);
}

/** What the console's deliveries list asks for (see `InboxRepository.deliveries`). */
export interface DeliveryFilter {
  vendor?: string;
  status?: InboxStatus;
  /** Received at or after (ISO-8601 UTC). */
  from?: string;
  /** Received before (ISO-8601 UTC). */
  to?: string;
  /** Only events with a smaller id (the previous page's last). */
  before?: number;
  limit: number;
  /** A vendor call id (a prefix of the event key, or a mapped record's), and a phone number's digits where it is one. */
  search?: { text: string; digits: string | null };
}

/** Text for a LIKE pattern with `\` as its escape character: its own `%`, `_` and `\` match only themselves. */
export function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Which dead events an operator's prune takes: those that died before `before`, of one vendor or all. */
export interface DeadPruneFilter {
  before: Date;
  vendor?: string;
}

/**
 * Synced or skipped, payload kept: word for word the predicate of the partial index `inbox_events_prunable`
 * (migration 0007), with constants rather than parameters, so that both dialects read these events from that index.
 */
const PRUNABLE = sql<boolean>`status in ('synced', 'skipped') and pruned_at is null`;

/** What pruning leaves of an event: the row, its identity and outcome; none of the vendor's data. */
function prunedValues(now: Date) {
  return { payload: '', records: null, last_error: null, pruned_at: now.toISOString() };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A delivery the store could not take (it is down, or busy past a retry): the sender is answered 503, which every
 * vendor retries, rather than a 500.
 */
function storeWriteFailure(error: unknown): unknown {
  return error instanceof AppError ? error : new StoreBusyError();
}
