import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { errorSummary } from '../common/app-exception.filter.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { PayloadValidationError } from '../common/payload-validation.js';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import type { ConnectorSettings } from '../config/connector-settings.js';
import type { AppEnv } from '../config/env.schema.js';
import { HubSpotAuthError, HubSpotDailyLimitError, HubSpotRetryableError } from '../hubspot/hubspot-errors.js';
import { ProvisioningError } from '../hubspot/hubspot-provisioner.js';
import { HubSpotStatus } from '../hubspot/hubspot-status.js';
import { HUBSPOT_PORT, type HubSpotPort } from '../hubspot/hubspot.port.js';
import { AppLogger } from '../logging/app-logger.js';
import { InboxRepository, type EventOutcome, type InboxEventRow } from '../store/inbox.repository.js';
import { InboxSignal } from '../store/inbox-signal.js';
import type { CallRecord } from '../vendors/call-record.js';
import { VendorRegistry } from '../vendors/vendor-registry.js';
import { HubSpotSyncService, type SyncItem, type SyncResult } from './hubspot-sync.service.js';

/** A claimed batch not finished within this time is taken again by the next claim (the worker died). */
const LEASE_MS = 5 * 60_000;
/** Backoff while HubSpot as a whole fails (outage, network): from 1 s, doubling, up to a minute. */
const OUTAGE_BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000];
/** A retrying record waits at most this long between attempts. */
const MAX_RECORD_BACKOFF_MS = 15 * 60_000;

type Mapped = { row: InboxEventRow; records: CallRecord[] };

/**
 * Claims inbox events in batches (up to `WORKER_BATCH_SIZE`, after a short linger so that bursts share requests),
 * maps each through its vendor's mapper and syncs the calls to HubSpot. Every event ends `synced`, `skipped`,
 * `retrying` (with its next attempt) or `dead` (with the reason); none is dropped. When HubSpot as a whole refuses
 * (daily limit, auth, outage) the batch is handed back untouched and sync pauses: the health check says why.
 */
@Injectable()
export class InboxWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop: Promise<void> | null = null;
  private outageStreak = 0;

  constructor(
    private readonly inbox: InboxRepository,
    private readonly vendors: VendorRegistry,
    private readonly signal: InboxSignal,
    private readonly sync: HubSpotSyncService,
    private readonly config: ConnectorConfig,
    private readonly status: HubSpotStatus,
    private readonly logger: AppLogger,
    @Inject(HUBSPOT_PORT) private readonly hubspot: HubSpotPort,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.sync.enabled) {
      this.logger.warn({}, 'SYNC_ENABLED=false: this instance stores webhooks and does not sync them');
      return;
    }
    this.running = true;
    this.loop = this.inbox.releaseOrphans(this.clock.now()).then((released) => {
      if (released > 0) this.logger.info({ released }, 'events left in flight by a previous process handed back');
      return this.run();
    });
  }

  /** Stops claiming and lets the batch in flight finish (its events are then either settled or released). */
  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.signal.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let handled = 0;
      try {
        await this.lingerIfQuiet();
        handled = await this.processBatch();
      } catch (error) {
        this.logger.error({ err: errorSummary(error) }, 'inbox worker: batch failed');
        await this.signal.wait(this.env.workerPollIntervalMs);
      }
      if (handled === 0 && this.running) await this.idle();
    }
  }

  /** One batch: claim, map, sync, settle. Answers how many events it took. */
  async processBatch(): Promise<number> {
    const rows = await this.inbox.claim(this.env.workerBatchSize, LEASE_MS, this.clock.now());
    if (rows.length === 0) return 0;
    // One mapping per batch: a reload takes effect between batches, never inside one.
    const settings = this.config.current();
    const mapped: Mapped[] = [];
    for (const row of rows) {
      const result = this.map(row, settings);
      if ('status' in result) await this.inbox.complete(row.id, row.revision, result, this.clock.now());
      else mapped.push(result);
    }
    if (mapped.length === 0) return rows.length;

    const items: SyncItem[] = mapped.flatMap(({ row, records }) => records.map((record) => ({ ref: row.id, record, receivedAt: row.received_at })));
    let results: Map<number, SyncResult>;
    try {
      results = await this.sync.sync(items, settings);
    } catch (error) {
      await this.inbox.release(mapped.map(({ row }) => row.id), this.clock.now());
      await this.pauseFor(error);
      return rows.length;
    }
    this.outageStreak = 0;
    if (this.status.get().state !== 'ok') this.status.set('ok');
    for (const { row, records } of mapped) await this.settle(row, records, results.get(row.id));
    return rows.length;
  }

  private map(row: InboxEventRow, settings: ConnectorSettings): Mapped | EventOutcome {
    const log = { vendor: row.vendor, eventId: row.id, correlationId: row.correlation_id, event: row.event_name };
    const vendor = this.vendors.find(row.vendor, settings);
    if (!vendor) return { status: 'dead', error: `no mapper for vendor ${row.vendor}` };
    try {
      const result = vendor.mapper.map({ eventName: row.event_name, payload: JSON.parse(row.payload) }, vendor.mappingContext);
      if (result.kind === 'skipped') {
        this.logger.info({ ...log, reason: result.reason }, 'inbox event skipped');
        return { status: 'skipped', error: result.reason };
      }
      if (result.records.length === 0) return { status: 'skipped', error: 'the event maps to no call' };
      return { row, records: result.records };
    } catch (error) {
      const reason = error instanceof PayloadValidationError ? `invalid payload: ${error.message}` : `mapping failed: ${errorSummary(error).message}`;
      this.logger.warn({ ...log, reason }, 'inbox event dead-lettered');
      return { status: 'dead', error: reason };
    }
  }

  private async settle(row: InboxEventRow, records: CallRecord[], result: SyncResult | undefined): Promise<void> {
    const log = { vendor: row.vendor, eventId: row.id, correlationId: row.correlation_id, event: row.event_name };
    const now = this.clock.now();
    if (result?.kind === 'synced') {
      await this.inbox.complete(row.id, row.revision, { status: 'synced', records, contactId: result.contactId, callId: result.callId, ...(result.warning ? { warning: result.warning } : {}) }, now);
      this.logger.info({ ...log, contactId: result.contactId, callId: result.callId, contactWarning: result.warning ? true : undefined }, 'call synced to HubSpot');
      return;
    }
    if (result?.kind === 'skipped') {
      await this.inbox.complete(row.id, row.revision, { status: 'skipped', error: result.reason }, now);
      return;
    }
    const reason = result?.reason ?? 'no sync result for this event';
    if (result?.kind === 'dead' || row.attempts + 1 >= this.env.sync.maxAttempts) {
      const error = result?.kind === 'dead' ? reason : `gave up after ${row.attempts + 1} attempts: ${reason}`;
      await this.inbox.complete(row.id, row.revision, { status: 'dead', records, error }, now);
      this.logger.warn({ ...log }, 'call dead-lettered');
      return;
    }
    const backoff = Math.min(MAX_RECORD_BACKOFF_MS, this.env.sync.retryBaseMs * 2 ** row.attempts);
    const jittered = Math.round(backoff / 2 + Math.random() * (backoff / 2));
    const nextAttemptAt = new Date(Math.max(now.getTime() + jittered, result?.kind === 'retry' ? result.notBefore?.getTime() ?? 0 : 0));
    await this.inbox.complete(row.id, row.revision, { status: 'retrying', records, error: reason, nextAttemptAt }, now);
    this.logger.info({ ...log, nextAttemptAt: nextAttemptAt.toISOString() }, 'call will be retried');
  }

  /** HubSpot refused as a whole: say so in health, then wait (probing, for states only a probe can end). */
  private async pauseFor(error: unknown): Promise<void> {
    if (error instanceof HubSpotDailyLimitError || error instanceof HubSpotAuthError || error instanceof ProvisioningError) {
      const state = error instanceof HubSpotDailyLimitError ? 'paused-daily-limit' : error instanceof HubSpotAuthError ? 'auth-failed' : 'misconfigured';
      const until = new Date(this.clock.now().getTime() + this.env.hubspot.probeIntervalMs);
      this.status.set(state, error.message, until);
      this.logger.warn({ state, status: error instanceof HubSpotAuthError ? error.status : undefined, nextProbeAt: until.toISOString() }, 'HubSpot sync paused');
      await this.waitUntilHubSpotAnswers();
      return;
    }
    const delay = OUTAGE_BACKOFF_MS[Math.min(this.outageStreak, OUTAGE_BACKOFF_MS.length - 1)]!;
    this.outageStreak++;
    const reason = error instanceof HubSpotRetryableError ? error.message : `unexpected sync error: ${errorSummary(error).message}`;
    this.status.set('unavailable', reason, new Date(this.clock.now().getTime() + delay));
    this.logger.warn({ err: errorSummary(error), retryInMs: delay }, 'HubSpot unavailable; backing off');
    await this.sleep(delay);
  }

  /** Probes HubSpot every probe interval until it takes requests again (or the worker stops). */
  private async waitUntilHubSpotAnswers(): Promise<void> {
    while (this.running) {
      await this.sleep(this.env.hubspot.probeIntervalMs);
      if (!this.running) return;
      try {
        await this.hubspot.probe();
        this.logger.info({ previous: this.status.get().state }, 'HubSpot answers again; sync resumes');
        this.status.set('ok');
        return;
      } catch (error) {
        const current = this.status.get();
        this.status.set(current.state, current.reason, new Date(this.clock.now().getTime() + this.env.hubspot.probeIntervalMs));
        this.logger.info({ state: current.state, err: errorSummary(error) }, 'HubSpot still refuses; sync stays paused');
      }
    }
  }

  /** With fewer events than a batch waiting, give a burst a moment to arrive, so that its calls share requests. */
  private async lingerIfQuiet(): Promise<void> {
    if (this.env.sync.lingerMs === 0) return;
    const ready = await this.inbox.readyCount(this.clock.now());
    if (ready > 0 && ready < this.env.workerBatchSize) await this.sleep(this.env.sync.lingerMs);
  }

  /** Nothing to do: wait for a new event, the next due retry, or the poll interval. */
  private async idle(): Promise<void> {
    const nextRetryAt = await this.inbox.nextRetryAt();
    const untilRetry = nextRetryAt ? Date.parse(nextRetryAt) - this.clock.now().getTime() : Number.POSITIVE_INFINITY;
    await this.signal.wait(Math.max(10, Math.min(this.env.workerPollIntervalMs, untilRetry)));
  }

  /** A pause that ends early when the worker is stopped. */
  private async sleep(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.running && Date.now() < deadline) await this.signal.wait(Math.min(250, deadline - Date.now()));
  }
}
