import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NotLeadingError } from '../common/app-error.js';
import { errorSummary } from '../common/app-exception.filter.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { maskPersonalData } from '../common/personal-data.js';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import type { AppEnv } from '../config/env.schema.js';
import type { RecordingMode } from '../config/mapping/mapping-settings.js';
import {
  HubSpotAuthError,
  HubSpotDailyLimitError,
  HubSpotError,
  HubSpotOutcomeUnknownError,
  HubSpotPermanentError,
  HubSpotRetryableError,
} from '../hubspot/hubspot-errors.js';
import { InjectHubSpot, type HubSpotPort, type ObjectUpdateInput, type StoredFile } from '../hubspot/hubspot.port.js';
import { backoffMs, fileUploadTimeoutMs } from '../hubspot/hubspot-request-policy.js';
import { AppLogger } from '../logging/app-logger.js';
import { MAX_RECORDING_BACKOFF_MS, RecordingRepository, type ClaimedRecording } from '../store/recording.repository.js';
import { SyncLeader } from '../sync/sync-leader.service.js';
import { RecordingAudioSource, type RecordingAudio } from './recording-audio.js';
import { RecordingDownloadError } from './recording-download.js';
import { recordingFileName, recordingFolder } from './recording-file.js';
import { RecordingsStatus } from './recordings-status.js';

/** While HubSpot as a whole fails (outage, daily limit, a missing scope): the stage's pause, doubling up to this. */
const STAGE_PAUSE_MS = [1_000, 5_000, 15_000, 60_000, 300_000];
/** An upload whose answer was lost is looked up by name after this long (HubSpot's index may lag a little). */
const LOST_UPLOAD_LOOKUP_MS = 30_000;

/** Recordings claimed per round; their calls are then updated together (HubSpot batches take up to 100). */
const ROUND_SIZE = 50;
const BATCH = 100;
/** A worker points its calls at their files once it holds this many, or once the first has waited this long. */
const FLUSH_SIZE = 20;
const FLUSH_AFTER_MS = 2_000;

/** A recording whose file HubSpot holds, its call not yet pointed at it. */
interface Uploaded {
  row: ClaimedRecording;
  file: StoredFile;
  mode: Exclude<RecordingMode, 'off'>;
}

/** Why one recording failed, and whether another try may help. */
class RecordingFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * The recordings stage: after a call is in HubSpot, its audio is fetched from where the vendor serves it and kept in
 * HubSpot's File Manager, and the call pointed at the file (attached, or its recording link), as `recordings.mode`
 * says. It runs beside the call sync, on the instance that syncs, with its own claims, retries with back-off, dead
 * letters and health: a slow or broken recording host never holds a call. Each recording goes
 * `pending → uploading → uploaded → stored`; an upload is never sent twice blindly: one whose answer was lost is
 * looked up by its file name first, and a file HubSpot holds is recorded before the call is updated.
 */
@Injectable()
export class RecordingsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly stopping = new AbortController();
  private pauseStreak = 0;
  private readonly audio: RecordingAudioSource;

  constructor(
    private readonly recordings: RecordingRepository,
    private readonly config: ConnectorConfig,
    private readonly leader: SyncLeader,
    private readonly status: RecordingsStatus,
    private readonly logger: AppLogger,
    @InjectHubSpot() private readonly hubspot: HubSpotPort,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() audio?: RecordingAudioSource,
  ) {
    this.audio = audio ?? new RecordingAudioSource(env.recordings, recordings);
  }

  onApplicationBootstrap(): void {
    if (!this.env.sync.enabled) return this.status.set('disabled', 'SYNC_ENABLED=false: another instance keeps them');
    if (!this.env.recordings.enabled)
      return this.status.set('disabled', 'RECORDINGS_ENABLED=false: recordings wait, calls sync as usual');
    this.running = true;
    void this.cleanSpool();
    this.loop = this.run().catch((error: unknown) =>
      this.logger.error({ error: errorSummary(error) }, 'recordings stage stopped unexpectedly; restart the connector'),
    );
  }

  /**
   * Downloads a process left behind when it was killed: any spool file older than two download time-outs (no
   * download in progress, here or in another instance sharing the folder, is that old).
   */
  private async cleanSpool(): Promise<void> {
    const { spoolDir, timeoutMs, connectTimeoutMs } = this.env.recordings;
    const before = this.clock.now().getTime() - 2 * (timeoutMs + connectTimeoutMs);
    try {
      let removed = 0;
      for (const name of await readdir(spoolDir)) {
        if (!name.startsWith('recording-')) continue;
        const path = join(spoolDir, name);
        const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Infinity }));
        if (mtimeMs < before) {
          await rm(path, { force: true });
          removed++;
        }
      }
      if (removed > 0) this.logger.info({ removed }, 'left-over recording downloads removed from the spool folder');
    } catch (error) {
      // No folder yet (nothing was ever downloaded), or it cannot be read: downloads say so when they fail.
      if ((error as { code?: string }).code !== 'ENOENT')
        this.logger.warn({ error: errorSummary(error) }, 'the recordings spool folder could not be cleaned');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.stopping.abort(new Error('the connector is stopping'));
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let ledEpoch: number | null = null;
    while (this.running) {
      const mode = this.config.current().recordings.mode;
      if (mode === 'off') {
        this.status.set('off', 'recordings.mode is off');
        await this.sleep(this.env.workerPollIntervalMs * 4);
        continue;
      }
      if (this.leader.epoch === null) {
        this.status.set('standby', 'another instance syncs and keeps recordings');
        await this.sleep(250);
        continue;
      }
      try {
        const epoch = this.leader.epoch;
        if (epoch !== ledEpoch) {
          // Taking over: recordings an earlier leader was working on go back (its requests ended with its lease).
          const released = await this.recordings.releaseAll();
          if (released > 0)
            this.logger.info({ released, epoch }, 'recordings left in flight by an earlier leader handed back');
          ledEpoch = epoch;
        }
        const handled = await this.processDue(mode);
        if (handled === 0) await this.sleep(this.env.workerPollIntervalMs * 2);
      } catch (error) {
        if (error instanceof NotLeadingError) {
          await this.sleep(250);
          continue;
        }
        this.logger.error({ error: errorSummary(error) }, 'recordings stage: a round failed');
        await this.sleep(this.env.workerPollIntervalMs * 4);
      }
    }
  }

  /**
   * One round: claims due recordings, gets each one's file into HubSpot (`RECORDINGS_CONCURRENCY` at a time), and
   * points their calls at the files in batches: each worker reads and updates the calls of up to `FLUSH_SIZE`
   * recordings in one request each (`npm run bench -- recordings`: 0.1–0.3 of each per recording). Answers how many
   * it took.
   */
  async processDue(mode: Exclude<RecordingMode, 'off'>): Promise<number> {
    const { concurrency, timeoutMs, connectTimeoutMs } = this.env.recordings;
    const leaseMs = 2 * (timeoutMs + connectTimeoutMs) + this.env.hubspot.requestTimeoutMs * 4;
    const claimed = await this.recordings.claimDue(ROUND_SIZE, this.clock.now(), leaseMs);
    if (claimed.length === 0) {
      if (this.status.get().state !== 'paused') this.status.set('ok');
      return 0;
    }
    let stage: HubSpotError | null = null;
    // The round's work belongs to the lease it was claimed under: once that ends, nothing more of it is done.
    const epoch = this.leader.epoch;
    const queue = [...claimed];
    // Each worker points its calls at their files in batches: once it has a few, once the first has waited a
    // moment, and at its end; a host that hangs one worker holds only what that worker uploaded just before.
    const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      const mine: Uploaded[] = [];
      let firstAt = 0;
      const flush = async () => {
        const part = mine.splice(0);
        if (part.length > 0) stage = (await this.pointCalls(part, stage !== null)) ?? stage;
      };
      for (let row = queue.shift(); row; row = queue.shift()) {
        // HubSpot as a whole stopped taking requests: the rest of the round goes back untouched.
        if (stage || !this.running || this.leader.epoch !== epoch) {
          await this.recordings.release(row.call_key).catch(() => undefined);
          continue;
        }
        const outcome = await this.upload(row, mode);
        if (outcome instanceof HubSpotError) stage = outcome;
        else if (outcome) {
          if (mine.length === 0) firstAt = Date.now();
          mine.push(outcome);
        }
        if (mine.length >= FLUSH_SIZE || Date.now() - firstAt >= FLUSH_AFTER_MS) await flush();
      }
      await flush();
    });
    // Every worker ends before the round does (a failure of one leaves the others to finish, not run on unseen).
    const failure = (await Promise.allSettled(workers)).find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    if (stage) await this.pauseStage(stage);
    else {
      this.pauseStreak = 0;
      this.status.set('ok');
    }
    return claimed.length;
  }

  /**
   * Gets one recording's file into HubSpot (or finds the one an earlier upload left there). Answers the file, or
   * null when the recording failed (settled here), or the HubSpot failure that should pause the whole stage.
   */
  private async upload(
    row: ClaimedRecording,
    mode: Exclude<RecordingMode, 'off'>,
  ): Promise<Uploaded | HubSpotError | null> {
    let audio: RecordingAudio | null = null;
    const usedMode = (row.mode as Exclude<RecordingMode, 'off'> | null) ?? mode;
    try {
      if (row.file_id) return { row, file: { id: row.file_id, url: row.file_url, size: row.bytes }, mode: usedMode };
      const name = row.file_name ?? recordingFileName(row.vendor, row.vendor_call_id);
      const folder = row.folder ?? recordingFolder(this.config.current().recordings.folder, row.created_at);
      // An upload was sent and its answer not recorded: HubSpot may hold the file. Looked up before any new upload.
      let file = row.state === 'uploading' ? await this.hubspot.findFile(folder, name) : null;
      if (file) {
        await this.recordings.markUploaded(
          row.call_key,
          { id: file.id, url: file.url, bytes: file.size, sha256: null },
          this.clock.now(),
        );
        return { row, file, mode: usedMode };
      }
      if (row.state === 'uploading') {
        // Not found: trusted only once that upload surely ended (its deadline, or the earlier leader's requests,
        // which ended with its lease) and HubSpot had time to list the file. Until then the recording waits.
        const deadline = fileUploadTimeoutMs(
          this.env.hubspot.requestTimeoutMs,
          row.bytes ?? this.env.recordings.maxBytes,
        );
        const since = this.leader.leadingSince ?? 0;
        const trustMissAt =
          Math.max(Date.parse(row.upload_started_at ?? '') + deadline || 0, since + this.env.hubspot.requestTimeoutMs) +
          LOST_UPLOAD_LOOKUP_MS;
        if (this.clock.now().getTime() < trustMissAt) {
          await this.recordings.retryLater(
            row.call_key,
            'an earlier upload of this recording is unconfirmed; waiting for HubSpot to list it before uploading again',
            new Date(trustMissAt),
            false,
            this.clock.now(),
          );
          return null;
        }
      }
      audio = await this.audio.fetch(row, this.stopping.signal);
      await this.recordings.markUploading(
        row.call_key,
        { name, folder, mode: usedMode, bytes: audio.bytes },
        this.clock.now(),
      );
      try {
        file = await this.hubspot.uploadFile({
          folderPath: folder,
          name,
          extension: audio.extension,
          contentType: audio.contentType,
          access: usedMode === 'link' ? 'PUBLIC_NOT_INDEXABLE' : 'PRIVATE',
          content: audio.content,
        });
      } catch (error) {
        // A refusal (a 4xx, the daily limit) surely stored nothing: no lookup is needed before the next upload.
        if (error instanceof HubSpotError && !(error instanceof HubSpotRetryableError))
          await this.recordings.markUploadRefused(row.call_key, this.clock.now());
        throw error;
      }
      // Recorded before the call is touched: from here on, only the call update is left (never a second upload).
      await this.recordings.markUploaded(
        row.call_key,
        { id: file.id, url: file.url, bytes: audio.bytes, sha256: audio.sha256 },
        this.clock.now(),
      );
      return { row, file: { ...file, size: audio.bytes }, mode: usedMode };
    } catch (error) {
      return this.failed(row, error);
    } finally {
      await audio?.dispose();
    }
  }

  /**
   * Points calls at their files. `attach`: the file's id joins the call's attachments (those a person added stay;
   * an id already there is not added twice) and the vendor's link, which will expire, is cleared. `link`: the file's
   * URL becomes the call's recording (HubSpot plays https links only). `handBack`: the stage is pausing; the
   * recordings go back untouched (their files are recorded: only the call update is left).
   */
  private async pointCalls(uploaded: Uploaded[], handBack: boolean): Promise<HubSpotError | null> {
    let stage: HubSpotError | null = null;
    const stored = new Set<string>();
    for (let index = 0; index < uploaded.length; index += BATCH) {
      const part = uploaded.slice(index, index + BATCH);
      if (handBack || stage || !this.running) {
        for (const { row } of part) await this.recordings.release(row.call_key);
        continue;
      }
      try {
        const attach = part.filter((entry) => entry.mode === 'attach').map((entry) => entry.row.call_id);
        const current =
          attach.length > 0
            ? await this.hubspot.readObjects('calls', attach, ['hs_attachment_ids'])
            : new Map<string, Record<string, string | null>>();
        const inputs: ObjectUpdateInput[] = [];
        for (const entry of part) {
          const { row, file } = entry;
          if (entry.mode === 'link' && !file.url?.startsWith('https://')) {
            await this.failed(
              row,
              new RecordingFailure('HubSpot gave the file no https URL, which its player needs', false),
            );
            continue;
          }
          const ids = (current.get(row.call_id)?.['hs_attachment_ids'] ?? '').split(';').filter(Boolean);
          inputs.push({
            key: row.call_key,
            id: row.call_id,
            properties:
              entry.mode === 'attach'
                ? {
                    hs_attachment_ids: [...ids.filter((id) => id !== file.id), file.id].join(';'),
                    hs_call_recording_url: '',
                  }
                : { hs_call_recording_url: file.url! },
          });
        }
        const outcome = inputs.length > 0 ? await this.hubspot.updateCalls(inputs) : null;
        for (const entry of part) {
          const { row, file } = entry;
          if (!inputs.some((input) => input.key === row.call_key)) continue;
          const failure = outcome?.failed.get(row.call_key);
          if (failure) {
            const gone = failure.category === 'OBJECT_NOT_FOUND' || failure.status === 404;
            await this.failed(
              row,
              new RecordingFailure(
                gone
                  ? 'the call was deleted in HubSpot; the file stays in the File Manager'
                  : `HubSpot refused the call update: ${failure.message}`,
                failure.retryable,
              ),
            );
            continue;
          }
          await this.recordings.markStored(row, entry.mode, this.clock.now());
          stored.add(row.call_key);
          this.status.noteStored(file.size ?? 0);
          this.logger.info(
            { vendor: row.vendor, callId: row.call_id, fileId: file.id, bytes: file.size, mode: entry.mode },
            'recording kept in HubSpot',
          );
        }
      } catch (error) {
        for (const { row } of part) if (!stored.has(row.call_key)) stage = (await this.failed(row, error)) ?? stage;
      }
    }
    return stage;
  }

  /** Settles a failed recording; answers the error when HubSpot as a whole is failing (the stage pauses). */
  private async failed(row: ClaimedRecording, error: unknown): Promise<HubSpotError | null> {
    const now = this.clock.now();
    if (error instanceof NotLeadingError) throw error;
    // Stopping (a deploy): not the recording's failure. It goes back as it is, no attempt counted.
    if (this.stopping.signal.aborted) {
      await this.recordings.release(row.call_key).catch(() => undefined);
      return null;
    }
    const stageWide =
      error instanceof HubSpotAuthError ||
      error instanceof HubSpotDailyLimitError ||
      (error instanceof HubSpotError &&
        !(error instanceof HubSpotPermanentError) &&
        !(error instanceof HubSpotOutcomeUnknownError));
    if (stageWide) {
      // Not this recording's fault: tried again once HubSpot takes requests, no attempt counted.
      await this.recordings.retryLater(row.call_key, maskPersonalData(reasonOf(error)), now, false, now);
      return error;
    }
    let reason: string;
    let retryable: boolean;
    let wait: number | null = null;
    if (error instanceof RecordingDownloadError || error instanceof RecordingFailure) {
      reason = error instanceof RecordingDownloadError ? error.reason : error.message;
      retryable = error.retryable;
    } else if (error instanceof HubSpotOutcomeUnknownError) {
      // The upload may be in HubSpot: the next try looks it up by name before anything is sent again.
      reason = `HubSpot gave no answer to the upload (${error.message}); it is looked up before any new upload`;
      retryable = true;
      wait = LOST_UPLOAD_LOOKUP_MS;
    } else if (error instanceof HubSpotPermanentError) {
      reason = `HubSpot refused: ${error.message}`;
      retryable = false;
    } else {
      reason = `keeping the recording failed: ${errorSummary(error).message}`;
      retryable = true;
      this.logger.error({ vendor: row.vendor, error: errorSummary(error) }, 'recordings stage: unexpected failure');
    }
    reason = maskPersonalData(reason);
    const attempts = row.attempts + 1;
    if (!retryable || attempts >= this.env.recordings.maxAttempts) {
      await this.recordings.markDead(
        row.call_key,
        retryable ? `${reason} (gave up after ${attempts} tries)` : reason,
        now,
      );
      this.status.noteDead();
      this.logger.warn(
        { vendor: row.vendor, callId: row.call_id, attempts, reason },
        'recording not kept (dead letter)',
      );
      return null;
    }
    const delay = wait ?? backoffMs(attempts, this.env.recordings.retryBaseMs, MAX_RECORDING_BACKOFF_MS);
    await this.recordings.retryLater(row.call_key, reason, new Date(now.getTime() + delay), true, now);
    this.logger.warn(
      { vendor: row.vendor, callId: row.call_id, attempts, retryInMs: delay, reason },
      'recording not kept yet; trying again later',
    );
    return null;
  }

  private async pauseStage(error: HubSpotError): Promise<void> {
    const pauseMs = STAGE_PAUSE_MS[Math.min(this.pauseStreak++, STAGE_PAUSE_MS.length - 1)]!;
    const scope = error instanceof HubSpotAuthError && error.status === 403;
    const reason = scope
      ? `HubSpot refused the File Manager (${error.message}): the token needs the files scope; calls sync as usual`
      : `HubSpot is not taking requests (${error.message}); calls sync as usual`;
    this.status.set('paused', maskPersonalData(reason), new Date(this.clock.now().getTime() + pauseMs));
    this.logger.warn({ pauseMs, status: error.status, category: error.category }, 'recordings stage paused');
    await this.sleep(pauseMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
