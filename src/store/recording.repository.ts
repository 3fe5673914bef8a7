import { Inject, Injectable, Optional } from '@nestjs/common';
import { sql, type Selectable, type Transaction, type UpdateObject } from 'kysely';
import { DEFAULT_PORTAL } from '../config/portal.js';
import {
  RECORDING_STATES,
  storeDialect,
  type RecordingState,
  type RecordingTable,
  type StoreDb,
  type StoreSchema,
} from './database.js';
import { STORE_DB, STORE_PORTAL } from './inbox.repository.js';
import { fencedTransaction, SyncFence } from './sync-fence.js';

export type RecordingRow = Omit<Selectable<RecordingTable>, 'bytes'> & { bytes: number | null };

/** A recording to keep: the call it belongs to and where its audio comes from (JSON of a `RecordingSource`). */
export interface RecordingEntry {
  callKey: string;
  vendor: string;
  vendorCallId: string;
  source: string;
}

/** A due recording as the stage takes it: its row and the HubSpot call it belongs to. */
export interface ClaimedRecording extends RecordingRow {
  call_id: string;
}

/** What the sync pass needs of a call's recording: whether it is stored, and where. */
export interface StoredRecording {
  fileId: string;
  fileUrl: string | null;
  mode: string | null;
}

/** The states the stage works on: a file to fetch and upload, an upload to look up, a call to point at its file. */
const WORK_STATES: RecordingState[] = ['pending', 'uploading', 'uploaded'];

/** Longest back-off between attempts. */
export const MAX_RECORDING_BACKOFF_MS = 6 * 3_600_000;

/**
 * Inserts recordings to keep, inside the call ledger's write (so that a call saved with a recording always has its
 * row). A row already there keeps its state; a pending one takes the newer source (Vapi's links are regenerated per
 * delivery, and a later event may carry the audio where an earlier one had a link).
 */
export async function enqueueRecordings(
  trx: Transaction<StoreSchema>,
  portalId: string,
  entries: RecordingEntry[],
  at: string,
): Promise<void> {
  for (const entry of entries) {
    await trx
      .insertInto('recordings')
      .values({
        portal_id: portalId,
        call_key: entry.callKey,
        vendor: entry.vendor,
        vendor_call_id: entry.vendorCallId,
        state: 'pending',
        source: entry.source,
        attempts: 0,
        next_attempt_at: at,
        created_at: at,
        updated_at: at,
      })
      .onConflict((conflict) =>
        conflict
          .columns(['portal_id', 'call_key'])
          .doUpdateSet({
            source: sql<string>`case when recordings.state = 'pending' then ${entry.source} else recordings.source end`,
            // Kept already, but this call write did not know it (the stage stored it while the sync pass ran) and so
            // wrote the vendor's link: the stage points the call at its file again (a repeatable update).
            state: sql<RecordingState>`case when recordings.state = 'stored' then 'uploaded' else recordings.state end`,
            next_attempt_at: sql<string>`case when recordings.state = 'stored' then ${at} else recordings.next_attempt_at end`,
            updated_at: at,
          })
          .where((where) =>
            where.or([
              where.and([where('recordings.state', '=', 'pending'), where('recordings.source', '<>', entry.source)]),
              where('recordings.state', '=', 'stored'),
            ]),
          ),
      )
      .execute();
  }
}

/**
 * The calls were deleted in HubSpot and are logged again: their kept files (still in the File Manager) are pointed at
 * from the new calls, so their recordings go back to `uploaded` (a dead one too, given up on because its call was gone).
 */
export async function repointRecordings(
  trx: Transaction<StoreSchema>,
  portalId: string,
  callKeys: string[],
  at: string,
): Promise<void> {
  if (callKeys.length === 0) return;
  await trx
    .updateTable('recordings')
    .set({ state: 'uploaded', attempts: 0, next_attempt_at: at, lease_until: null, updated_at: at })
    .where('portal_id', '=', portalId)
    .where('call_key', 'in', callKeys)
    .where('file_id', 'is not', null)
    .where('state', 'in', ['stored', 'dead', 'uploaded'])
    .execute();
}

/**
 * The recordings stage's rows (see `RecordingState`) and the audio vendors sent in webhooks. Writes of the stage are
 * fenced by the sync lease, as the ledger's are: only the instance that syncs uploads and updates calls. Audio is
 * written when a webhook is taken (any instance), before it is acknowledged.
 */
@Injectable()
export class RecordingRepository {
  constructor(
    @Inject(STORE_DB) private readonly db: StoreDb,
    @Optional() private readonly fence?: SyncFence,
    @Optional() @Inject(STORE_PORTAL) private readonly portalId: string = DEFAULT_PORTAL,
  ) {}

  private write<T>(run: (trx: Transaction<StoreSchema>) => Promise<T>): Promise<T> {
    return fencedTransaction(this.db, this.fence, run);
  }

  /**
   * Takes up to `limit` due recordings whose call is in HubSpot (the ledger knows its id), leasing them for
   * `leaseMs`: a worker that dies leaves them to be taken again once the lease ends.
   */
  async claimDue(limit: number, now: Date, leaseMs: number): Promise<ClaimedRecording[]> {
    const at = now.toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    return this.write(async (trx) => {
      let query = trx
        .selectFrom('recordings')
        .innerJoin('call_ledger', (join) =>
          join
            .onRef('call_ledger.portal_id', '=', 'recordings.portal_id')
            .onRef('call_ledger.call_key', '=', 'recordings.call_key'),
        )
        .selectAll('recordings')
        .select('call_ledger.call_id as call_id')
        .where('recordings.portal_id', '=', this.portalId)
        .where('recordings.state', 'in', WORK_STATES)
        .where('recordings.next_attempt_at', '<=', at)
        .where((where) =>
          where.or([where('recordings.lease_until', 'is', null), where('recordings.lease_until', '<', at)]),
        )
        .where('call_ledger.call_id', 'is not', null)
        .orderBy('recordings.next_attempt_at')
        .limit(limit);
      if (storeDialect(trx) === 'postgres') query = query.forUpdate('recordings').skipLocked();
      const rows = await query.execute();
      for (const row of rows)
        await trx
          .updateTable('recordings')
          .set({ lease_until: until })
          .where('portal_id', '=', this.portalId)
          .where('call_key', '=', row.call_key)
          .execute();
      return rows.map((row) => ({ ...normalise(row), call_id: row.call_id!, lease_until: until }));
    });
  }

  /** The file's name and folder are fixed, durably, before the upload is sent: a lost answer is found by them. */
  async markUploading(
    callKey: string,
    file: { name: string; folder: string; mode: string; bytes: number },
    now: Date,
  ): Promise<void> {
    const at = now.toISOString();
    // The mode (the file's access level) and size are fixed with the upload: a lost upload is waited for by its size,
    // and the file is pointed at as it was made (a private file is never made a call's public link).
    await this.update(callKey, {
      state: 'uploading',
      file_name: file.name,
      folder: file.folder,
      mode: file.mode,
      bytes: file.bytes,
      upload_started_at: at,
      updated_at: at,
    });
  }

  /** HubSpot surely did not take the upload (it refused it): the next try uploads without a lookup first. */
  async markUploadRefused(callKey: string, now: Date): Promise<void> {
    await this.write(async (trx) => {
      await trx
        .updateTable('recordings')
        .set({ state: 'pending', upload_started_at: null, updated_at: now.toISOString() })
        .where('portal_id', '=', this.portalId)
        .where('call_key', '=', callKey)
        .where('state', '=', 'uploading')
        .execute();
    });
  }

  /** HubSpot holds the file: from now on only the call update is left (never a second upload). */
  async markUploaded(
    callKey: string,
    file: { id: string; url: string | null; bytes: number | null; sha256: string | null },
    now: Date,
  ): Promise<void> {
    await this.update(callKey, {
      state: 'uploaded',
      file_id: file.id,
      file_url: file.url,
      bytes: file.bytes,
      sha256: file.sha256,
      updated_at: now.toISOString(),
    });
  }

  /** Done: the call points at the file. The vendor's audio kept for it is no longer needed. */
  async markStored(row: Pick<RecordingRow, 'call_key' | 'vendor' | 'vendor_call_id'>, mode: string, now: Date) {
    const at = now.toISOString();
    await this.write(async (trx) => {
      await trx
        .updateTable('recordings')
        .set({ state: 'stored', mode, stored_at: at, updated_at: at, lease_until: null, last_error: null })
        .where('portal_id', '=', this.portalId)
        .where('call_key', '=', row.call_key)
        .execute();
      await trx
        .deleteFrom('recording_audio')
        .where('portal_id', '=', this.portalId)
        .where('vendor', '=', row.vendor)
        .where('vendor_call_id', '=', row.vendor_call_id)
        .execute();
    });
  }

  /**
   * Tried again at `nextAttemptAt`. `countAttempt`: the recording's own failure (its host, its file); not counted
   * when HubSpot as a whole was unavailable.
   */
  async retryLater(callKey: string, reason: string, nextAttemptAt: Date, countAttempt: boolean, now: Date) {
    await this.write(async (trx) => {
      await trx
        .updateTable('recordings')
        .set({
          last_error: reason,
          next_attempt_at: nextAttemptAt.toISOString(),
          lease_until: null,
          updated_at: now.toISOString(),
          ...(countAttempt ? { attempts: sql<number>`attempts + 1` } : {}),
        })
        .where('portal_id', '=', this.portalId)
        .where('call_key', '=', callKey)
        .execute();
    });
  }

  /** Given up, with the reason (replayable with `npm run replay -- --recordings`). */
  async markDead(callKey: string, reason: string, now: Date): Promise<void> {
    await this.write(async (trx) => {
      await trx
        .updateTable('recordings')
        .set({
          state: 'dead',
          last_error: reason,
          lease_until: null,
          attempts: sql<number>`attempts + 1`,
          updated_at: now.toISOString(),
        })
        .where('portal_id', '=', this.portalId)
        .where('call_key', '=', callKey)
        // A recording stored in the meantime stays stored.
        .where('state', '<>', 'stored')
        .execute();
    });
  }

  /**
   * Retention of audio vendors sent in webhooks (personal data): what was received before `cutoff` and not yet
   * stored (its recording dead, or its call never logged) is deleted. Answers how many.
   */
  async pruneAudio(cutoff: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('recording_audio')
      .where('portal_id', '=', this.portalId)
      .where('received_at', '<', cutoff.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Every claim back, as a new sync leader takes over: only the leader keeps recordings, so a claim it finds is an
   * earlier leader's (a process that died, or this one before a restart); its requests ended with its lease.
   */
  async releaseAll(): Promise<number> {
    return this.write(async (trx) => {
      const result = await trx
        .updateTable('recordings')
        .set({ lease_until: null })
        .where('portal_id', '=', this.portalId)
        .where('lease_until', 'is not', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  /** Hands a claimed recording back untouched (the stage is stopping, or this instance no longer syncs). */
  async release(callKey: string): Promise<void> {
    await this.update(callKey, { lease_until: null });
  }

  /**
   * Dead recordings back to work: those whose file is in HubSpot go on to the call update, the others are fetched
   * again (an upload whose answer was lost is looked up first, as before). Answers how many.
   */
  async replayDead(filter: { vendor?: string; callKeys?: string[] }, now: Date): Promise<number> {
    const at = now.toISOString();
    return this.write(async (trx) => {
      let query = trx
        .updateTable('recordings')
        .set({
          state: sql<RecordingState>`case when file_id is not null then 'uploaded' when upload_started_at is not null then 'uploading' else 'pending' end`,
          attempts: 0,
          next_attempt_at: at,
          lease_until: null,
          updated_at: at,
        })
        .where('portal_id', '=', this.portalId)
        .where('state', '=', 'dead');
      if (filter.vendor) query = query.where('vendor', '=', filter.vendor);
      if (filter.callKeys) query = query.where('call_key', 'in', filter.callKeys.length > 0 ? filter.callKeys : ['']);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  /** Calls among `callKeys` whose recording is stored: the sync writes the stored file, never the vendor's link, again. */
  async storedFor(callKeys: string[]): Promise<Map<string, StoredRecording>> {
    const found = new Map<string, StoredRecording>();
    for (let index = 0; index < callKeys.length; index += 500) {
      const rows = await this.db
        .selectFrom('recordings')
        .select(['call_key', 'file_id', 'file_url', 'mode'])
        .where('portal_id', '=', this.portalId)
        .where('call_key', 'in', callKeys.slice(index, index + 500))
        .where('state', '=', 'stored')
        .execute();
      for (const row of rows)
        if (row.file_id) found.set(row.call_key, { fileId: row.file_id, fileUrl: row.file_url, mode: row.mode });
    }
    return found;
  }

  async find(callKey: string): Promise<RecordingRow | null> {
    const row = await this.db
      .selectFrom('recordings')
      .selectAll()
      .where('portal_id', '=', this.portalId)
      .where('call_key', '=', callKey)
      .executeTakeFirst();
    return row ? normalise(row) : null;
  }

  /** Recordings by state (newest first), for the command line and tests. */
  async list(filter: { state?: RecordingState; vendor?: string; limit: number }): Promise<RecordingRow[]> {
    let query = this.db.selectFrom('recordings').selectAll().where('portal_id', '=', this.portalId);
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.vendor) query = query.where('vendor', '=', filter.vendor);
    const rows = await query.orderBy('updated_at', 'desc').limit(filter.limit).execute();
    return rows.map(normalise);
  }

  async countByState(): Promise<Record<RecordingState, number>> {
    const rows = await this.db
      .selectFrom('recordings')
      .select(['state', (eb) => eb.fn.countAll<number | string>().as('count')])
      .where('portal_id', '=', this.portalId)
      .groupBy('state')
      .execute();
    const counts = Object.fromEntries(RECORDING_STATES.map((state) => [state, 0])) as Record<RecordingState, number>;
    for (const row of rows) counts[row.state] = Number(row.count);
    return counts;
  }

  /** When the longest-waiting recording still to store was queued; null when none waits. */
  async oldestWaitingCreatedAt(): Promise<string | null> {
    const row = await this.db
      .selectFrom('recordings')
      .select((eb) => eb.fn.min('created_at').as('oldest'))
      .where('portal_id', '=', this.portalId)
      .where('state', 'in', WORK_STATES)
      .executeTakeFirst();
    return (row?.oldest as string | null | undefined) ?? null;
  }

  /** Bytes of the recordings stored in HubSpot. */
  async storedBytes(): Promise<number> {
    const row = await this.db
      .selectFrom('recordings')
      .select((eb) => eb.fn.sum<number | string | null>('bytes').as('total'))
      .where('portal_id', '=', this.portalId)
      .where('state', '=', 'stored')
      .executeTakeFirst();
    return Number(row?.total ?? 0);
  }

  /** Audio a vendor sent in a webhook, kept until stored (a second delivery of the same call's audio replaces it; one after it was stored is not kept). */
  async saveAudio(
    entry: { vendor: string; vendorCallId: string; audio: Buffer; contentType: string; sha256: string },
    now: Date,
  ): Promise<void> {
    // A redelivery after the recording was stored: nothing is left to keep it for.
    const stored = await this.db
      .selectFrom('recordings')
      .select('call_key')
      .where('portal_id', '=', this.portalId)
      .where('vendor', '=', entry.vendor)
      .where('vendor_call_id', '=', entry.vendorCallId)
      .where('state', '=', 'stored')
      .executeTakeFirst();
    if (stored) return;
    const values = {
      audio: entry.audio,
      content_type: entry.contentType,
      bytes: entry.audio.length,
      sha256: entry.sha256,
      received_at: now.toISOString(),
    };
    await this.db
      .insertInto('recording_audio')
      .values({ portal_id: this.portalId, vendor: entry.vendor, vendor_call_id: entry.vendorCallId, ...values })
      .onConflict((conflict) => conflict.columns(['portal_id', 'vendor', 'vendor_call_id']).doUpdateSet(values))
      .execute();
  }

  async audio(
    vendor: string,
    vendorCallId: string,
  ): Promise<{ audio: Buffer; contentType: string; sha256: string } | null> {
    const row = await this.db
      .selectFrom('recording_audio')
      .select(['audio', 'content_type', 'sha256'])
      .where('portal_id', '=', this.portalId)
      .where('vendor', '=', vendor)
      .where('vendor_call_id', '=', vendorCallId)
      .executeTakeFirst();
    return row ? { audio: Buffer.from(row.audio), contentType: row.content_type, sha256: row.sha256 } : null;
  }

  private async update(callKey: string, values: UpdateObject<StoreSchema, 'recordings'>): Promise<void> {
    await this.write(async (trx) => {
      await trx
        .updateTable('recordings')
        .set(values)
        .where('portal_id', '=', this.portalId)
        .where('call_key', '=', callKey)
        .execute();
    });
  }
}

/** PostgreSQL answers `bigint` as text. */
function normalise<T extends Selectable<RecordingTable>>(row: T): Omit<T, 'bytes'> & { bytes: number | null } {
  return { ...row, bytes: row.bytes === null ? null : Number(row.bytes) };
}
