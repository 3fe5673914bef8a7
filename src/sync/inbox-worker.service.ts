import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { NotLeadingError } from '../common/app-error.js';
import { errorSummary } from '../common/app-exception.filter.js';
import { maskPersonalData } from '../common/personal-data.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { PayloadValidationError } from '../common/payload-validation.js';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import type { ConnectorSettings } from '../config/mapping/mapping-settings.js';
import type { AppEnv } from '../config/env.schema.js';
import {
  HubSpotAuthError,
  HubSpotDailyLimitError,
  HubSpotError,
  HubSpotRetryableError,
  refusalDetail,
} from '../hubspot/hubspot-errors.js';
import { ProvisioningError } from './hubspot-provisioner.js';
import { HubSpotStatus } from '../hubspot/hubspot-status.js';
import { HubSpotSendGate } from '../hubspot/hubspot-send-gate.js';
import { InjectHubSpot, type HubSpotPort } from '../hubspot/hubspot.port.js';
import { AppLogger } from '../logging/app-logger.js';
import { InboxRepository, type EventOutcome, type InboxEventRow } from '../store/inbox.repository.js';
import { InboxSignal } from '../store/inbox-signal.js';
import { SyncFence } from '../store/sync-fence.js';
import type { CallRecord } from '../vendors/call-record.js';
import { VendorsInForce } from '../config/vendors-in-force.js';
import { HubSpotSyncService } from './hubspot-sync.service.js';
import { DEFAULT_PORTAL } from '../config/portal.js';
import { SyncLeader } from './sync-leader.service.js';
import type { SyncItem, SyncResult } from './sync-plan.js';
import { backoffMs } from '../hubspot/hubspot-request-policy.js';

/** A claimed batch not finished within this time is taken again by the next claim (the worker died). */
const LEASE_MS = 5 * 60_000;
/** After the store or HubSpot gate refused this instance's lease: the pause before looking at the lease again. */
const NOT_LEADING_PAUSE_MS = 250;
/** Backoff while HubSpot as a whole fails (outage, network): from 1 s, doubling, up to a minute. */
const OUTAGE_BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000];
/** A retrying record waits at most this long between attempts. */
const MAX_RECORD_BACKOFF_MS = 15 * 60_000;

type Mapped = { row: InboxEventRow; records: CallRecord[] };

/**
 * A stored outcome's text with personal data masked (HubSpot's refusals quote the values they refuse): the calls' own
 * personal values by name, and anything shaped like an email address or a phone number.
 */
function masked(outcome: EventOutcome, records: CallRecord[] = []): EventOutcome {
  const known = records.flatMap(({ customer }) => [
    customer.name,
    customer.email,
    customer.company,
    customer.phone.raw,
    customer.phone.e164,
  ]);
  if (outcome.status === 'synced')
    return outcome.warning ? { ...outcome, warning: maskPersonalData(outcome.warning, known) } : outcome;
  return { ...outcome, error: maskPersonalData(outcome.error, known) };
}

/** Interruptions that are HubSpot's as a whole: the batch goes back untouched and sync pauses. */
function isOutage(error: unknown): boolean {
  return (
    error instanceof HubSpotRetryableError ||
    error instanceof HubSpotDailyLimitError ||
    error instanceof HubSpotAuthError ||
    error instanceof ProvisioningError
  );
}

/**
 * Claims inbox events in batches (up to `WORKER_BATCH_SIZE`, after a short linger so that bursts share requests),
 * maps each through its vendor's mapper and syncs the calls to HubSpot. Every event ends `synced`, `skipped`,
 * `retrying` (with its next attempt) or `dead` (with the reason); none is dropped. When HubSpot as a whole refuses
 * (daily limit, auth, outage) the batch is handed back untouched and sync pauses: the health check says why.
 */
@Injectable()
export class InboxWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loop: Promise<void> | null = null;
  private outageStreak = 0;
  /** The last pause for auth came from a request of the sync (a 403), not from the start-up check. */
  private refusedDuringSync = false;

  constructor(
    private readonly inbox: InboxRepository,
    private readonly vendors: VendorsInForce,
    private readonly signal: InboxSignal,
    private readonly sync: HubSpotSyncService,
    private readonly config: ConnectorConfig,
    private readonly status: HubSpotStatus,
    private readonly logger: AppLogger,
    @InjectHubSpot() private readonly hubspot: HubSpotPort,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leader: SyncLeader,
    @Optional() private readonly fence?: SyncFence,
    @Optional() private readonly gate?: HubSpotSendGate,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.sync.enabled) {
      this.logger.warn({}, 'SYNC_ENABLED=false: this instance stores webhooks and does not sync them');
      return;
    }
    this.running = true;
    this.leader.start();
    // run() handles its own failures; should one escape all the same, it is logged (never an unhandled rejection,
    // which would end the process).
    this.loop = this.run().catch((error: unknown) =>
      this.logger.error({ error: errorSummary(error) }, 'inbox worker stopped unexpectedly; restart the connector'),
    );
  }

  /**
   * Checks the token and each scope the connector needs, at start and while sync is stopped for auth: a missing
   * scope is named in health and in the log (not left to surface as a generic 403 mid-sync). Returns once HubSpot
   * grants everything, or the worker stops.
   */
  private async untilAccessGranted(): Promise<void> {
    while (this.running) {
      let retryInMs = this.env.hubspot.probeIntervalMs;
      try {
        // `files` is asked for only while recordings are kept; without it only the recordings stage waits (it says
        // so in health), never the calls.
        const recordings = this.config.current().recordings.mode !== 'off';
        const access = await this.hubspot.checkAccess({ files: recordings });
        // Kept for links into app.hubspot.com (the operator console).
        this.status.setPortalId(access.portalId);
        if (access.missingScopes.includes('files'))
          this.logger.warn(
            { portalId: access.portalId },
            'the HubSpot token lacks the files scope: recordings are not kept in HubSpot until it is added (calls sync as usual)',
          );
        access.missingScopes = access.missingScopes.filter((scope) => scope !== 'files');
        if (access.missingScopes.length === 0) {
          this.logger.info(
            { portalId: access.portalId, apiVersion: this.env.hubspot.apiVersion },
            'HubSpot token checked: every needed scope is granted',
          );
          // HubSpot answered: no longer `starting`, nor the pause this check set. A 403 during sync (a scope this
          // check does not cover) stays in health until a batch goes through.
          const { state } = this.status.get();
          if (
            state === 'starting' ||
            state === 'standby' ||
            state === 'unavailable' ||
            state === 'paused-daily-limit' ||
            (state === 'auth-failed' && !this.refusedDuringSync)
          )
            this.status.set('ok');
          return;
        }
        const reason = `the HubSpot token lacks the scope${access.missingScopes.length > 1 ? 's' : ''} ${access.missingScopes.join(', ')}: add ${access.missingScopes.length > 1 ? 'them' : 'it'} to the service key (or private app) and sync resumes by itself`;
        this.status.set('auth-failed', reason, new Date(this.clock.now().getTime() + retryInMs));
        this.logger.warn(
          { missingScopes: access.missingScopes, portalId: access.portalId },
          'HubSpot sync paused: the token lacks needed scopes',
        );
      } catch (error) {
        if (error instanceof HubSpotAuthError) {
          this.status.set('auth-failed', error.message, new Date(this.clock.now().getTime() + retryInMs));
          this.logger.warn({ status: error.status }, 'HubSpot refused the token; sync paused');
        } else if (error instanceof HubSpotError) {
          retryInMs = OUTAGE_BACKOFF_MS[Math.min(this.outageStreak++, OUTAGE_BACKOFF_MS.length - 1)]!;
          const state = error instanceof HubSpotDailyLimitError ? 'paused-daily-limit' : 'unavailable';
          this.status.set(
            state,
            `checking the token: ${error.message}`,
            new Date(this.clock.now().getTime() + retryInMs),
          );
          this.logger.warn(
            { error: errorSummary(error), retryInMs },
            'HubSpot could not check the token; trying again',
          );
        } else throw error;
      }
      await this.sleep(retryInMs);
    }
  }

  /**
   * Stops claiming and lets the batch in flight finish (its events are then either settled or released), then hands
   * the sync lease over. Before the HTTP server closes (Nest's order: before-shutdown hooks, the server, then
   * shutdown hooks), so that the hand-over never waits for the last webhook connections to drain; webhooks are still
   * taken meanwhile.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.signal.notify();
    await this.loop;
    // Only once the last batch is settled: then the next instance may take over at once.
    await this.leader.stop();
  }

  private async run(): Promise<void> {
    let ledEpoch: number | null = null;
    let accessChecked = false;
    while (this.running) {
      // Only the instance holding the sync lease syncs (and talks to HubSpot); the others take webhooks and stand by.
      const epoch = this.leader.epoch;
      if (epoch === null) {
        if (this.leader.otherLeads && this.status.get().state !== 'standby')
          this.status.set('standby', 'another instance holds the sync lease; only it talks to HubSpot');
        await this.leader.whenLeading(250);
        continue;
      }
      try {
        if (epoch !== ledEpoch) {
          // Taking over: events an earlier holder claimed (a process that died, or this one before a restart) go
          // back. A store that fails here is logged and the hand-back tried again on the next round.
          this.workUnder(epoch);
          const released = await this.inbox.releaseOrphans(this.clock.now(), epoch);
          if (released > 0)
            this.logger.info({ released, epoch }, 'events left in flight by an earlier holder handed back');
          ledEpoch = epoch;
          // Each takeover starts with the token and scope check (a standby has not talked to HubSpot).
          accessChecked = false;
        }
        if (!accessChecked) {
          await this.untilAccessGranted();
          accessChecked = true;
          continue;
        }
        await this.lingerIfQuiet();
        const handled = await this.processBatch(epoch);
        if (handled === 0 && this.running) await this.idle();
      } catch (error) {
        if (error instanceof NotLeadingError) {
          // The lease ended mid-batch: what this batch did not settle is handed back by the next leader. A pause, so
          // that a lease the store no longer grants is not asked about in a tight loop until the leader steps down.
          this.logger.warn({ epoch, reason: error.message }, 'sync stopped: this instance no longer leads');
          await this.sleep(NOT_LEADING_PAUSE_MS);
          continue;
        }
        // A store that does not answer (claim, idle) or anything unforeseen: logged, and tried again after a pause.
        this.logger.error({ error: errorSummary(error) }, 'inbox worker: batch failed');
        await this.signal.wait(this.env.workerPollIntervalMs);
      }
    }
  }

  /** What is written to the store and sent to HubSpot from now on is fenced by the lease of `epoch` (null: unfenced). */
  private workUnder(epoch: number | null): void {
    this.fence?.hold(epoch === null ? null : { portalId: DEFAULT_PORTAL, epoch });
    this.gate?.hold(epoch);
  }

  /**
   * One batch under the sync lease of `epoch` (every store write of it is fenced by that epoch): claim, map, sync,
   * settle. Answers how many events it took.
   */
  async processBatch(epoch: number | null = this.leader.epoch): Promise<number> {
    this.workUnder(epoch);
    const rows = await this.inbox.claim(this.env.workerBatchSize, LEASE_MS, this.clock.now(), epoch);
    if (rows.length === 0) return 0;
    // One mapping per batch: a reload takes effect between batches, never inside one.
    const settings = this.config.current();
    const mapped: Mapped[] = [];
    for (const row of rows) {
      const result = this.map(row, settings);
      if ('status' in result) await this.inbox.complete(row.id, row.revision, masked(result), this.clock.now());
      else mapped.push(result);
    }
    if (mapped.length === 0) return rows.length;

    // A full batch means more events wait: searches can then be packed with theirs.
    const outage = await this.syncIsolating(mapped, settings, rows.length >= this.env.workerBatchSize);
    if (outage instanceof NotLeadingError) throw outage;
    if (outage === null) {
      this.outageStreak = 0;
      this.refusedDuringSync = false;
      if (this.status.get().state !== 'ok') this.status.set('ok');
    } else await this.pauseFor(outage);
    return rows.length;
  }

  /**
   * Syncs these events and records their outcomes. An exception that is not HubSpot's as a whole (a refusal that
   * escaped its step, a bug met by one odd event) is about some of them: the events are split in halves and synced
   * again until the one it is about stands alone; that one counts an attempt (dead once attempts run out) and health
   * names it by id; the others go on. Answers the outage that stopped it (the events not done are handed back), if any.
   */
  private async syncIsolating(mapped: Mapped[], settings: ConnectorSettings, packSearches: boolean): Promise<unknown> {
    const items: SyncItem[] = mapped.flatMap(({ row, records }) =>
      records.map((record) => ({ ref: row.id, record, receivedAt: row.received_at })),
    );
    // The sync answers what it did and what stopped it; should it throw all the same, nothing of it was done.
    // A new leader trusts a search miss for an earlier leader's unconfirmed create only once that leader's requests
    // have surely ended (it sent nothing after its deadline, which came before this lease began) and search caught up.
    const since = this.leader.leadingSince;
    const earlierLeadersDoneAt = since === null ? undefined : since + this.env.hubspot.requestTimeoutMs;
    const { results, interruption } = await this.sync
      .sync(items, settings, { packSearches, earlierLeadersDoneAt })
      .catch((error: unknown) => ({ results: new Map<number, SyncResult>(), interruption: error }));
    this.status.setWarnings(this.sync.warnings());
    const unsettled = mapped.filter(({ row }) => !results.has(row.id));
    await this.settle(
      mapped
        .filter(({ row }) => results.has(row.id) || interruption === null)
        .map(({ row, records }) => ({ row, records, result: results.get(row.id) })),
    );
    if (interruption === null || unsettled.length === 0) return interruption;
    // The lease ended: nothing more is sent or written; the next leader takes the unsettled events back.
    if (interruption instanceof NotLeadingError) return interruption;
    if (isOutage(interruption)) {
      if (interruption instanceof HubSpotAuthError) this.refusedDuringSync = true;
      await this.handBack(
        unsettled.map(({ row }) => row.id),
        interruption,
      );
      return interruption;
    }
    if (unsettled.length === 1) {
      const [{ row, records }] = unsettled as [Mapped];
      const reason =
        interruption instanceof HubSpotError
          ? `HubSpot refused: ${interruption.message}${refusalDetail(interruption)}`
          : `sync failed for this event: ${errorSummary(interruption).message}`;
      this.logger.error(
        { eventId: row.id, vendor: row.vendor, correlationId: row.correlation_id, error: errorSummary(interruption) },
        'sync failed for one event; it will be retried, the others go on',
      );
      this.status.noteFailingEvent(row.id, interruption instanceof Error ? interruption.name : typeof interruption);
      await this.settle([{ row, records, result: { kind: 'retry', reason } }]);
      return null;
    }
    const middle = Math.ceil(unsettled.length / 2);
    const first = await this.syncIsolating(unsettled.slice(0, middle), settings, false);
    if (first !== null) {
      await this.handBack(
        unsettled.slice(middle).map(({ row }) => row.id),
        first,
      );
      return first;
    }
    return this.syncIsolating(unsettled.slice(middle), settings, false);
  }

  /**
   * Events HubSpot could not take now go back without an attempt counted. After an outage they wait out twice the
   * worker's own pause, so that newer events are claimed ahead of them when the worker resumes.
   */
  private async handBack(ids: number[], interruption: unknown): Promise<void> {
    const now = this.clock.now();
    const paused =
      interruption instanceof HubSpotDailyLimitError ||
      interruption instanceof HubSpotAuthError ||
      interruption instanceof ProvisioningError;
    const delay = OUTAGE_BACKOFF_MS[Math.min(this.outageStreak, OUTAGE_BACKOFF_MS.length - 1)]!;
    await this.inbox.release(ids, now, paused ? undefined : new Date(now.getTime() + 2 * delay));
  }

  private map(row: InboxEventRow, settings: ConnectorSettings): Mapped | EventOutcome {
    const log = { vendor: row.vendor, eventId: row.id, correlationId: row.correlation_id, event: row.event_name };
    const vendor = this.vendors.find(row.vendor, settings);
    if (!vendor) return { status: 'dead', error: `no mapper for vendor ${row.vendor}` };
    // Replay refuses pruned events; should one be claimed all the same, it says why rather than failing to parse.
    if (row.pruned_at !== null) return { status: 'dead', error: 'its payload was pruned (retention): nothing to sync' };
    try {
      const result = vendor.mapper.map(
        { eventName: row.event_name, payload: JSON.parse(row.payload) },
        vendor.mappingContext,
      );
      if (result.kind === 'skipped') {
        this.logger.info({ ...log, reason: result.reason }, 'inbox event skipped');
        return { status: 'skipped', error: result.reason };
      }
      if (result.records.length === 0) return { status: 'skipped', error: 'the event maps to no call' };
      return { row, records: result.records };
    } catch (error) {
      const reason =
        error instanceof PayloadValidationError
          ? `invalid payload: ${error.message}`
          : `mapping failed: ${errorSummary(error).message}`;
      this.logger.warn({ ...log, reason }, 'inbox event dead-lettered');
      return { status: 'dead', error: reason };
    }
  }

  /** Records the outcomes of a batch's events (one transaction), and logs each. */
  private async settle(
    entries: Array<{ row: InboxEventRow; records: CallRecord[]; result: SyncResult | undefined }>,
  ): Promise<void> {
    const now = this.clock.now();
    await this.inbox.completeAll(
      entries.map(({ row, records, result }) => ({
        id: row.id,
        revision: row.revision,
        outcome: masked(this.outcomeOf(row, records, result, now), records),
      })),
      now,
    );
  }

  private outcomeOf(
    row: InboxEventRow,
    records: CallRecord[],
    result: SyncResult | undefined,
    now: Date,
  ): EventOutcome {
    const log = { vendor: row.vendor, eventId: row.id, correlationId: row.correlation_id, event: row.event_name };
    if (result?.kind === 'synced') {
      this.logger.info(
        {
          ...log,
          contactId: result.contactId,
          callId: result.callId,
          contactWarning: result.warning ? true : undefined,
        },
        'call synced to HubSpot',
      );
      this.status.clearFailingEvent(row.id);
      // What was left out: values the vendor sent that could not be read (the mapper's warnings), and values
      // HubSpot could not take.
      const warning = [
        ...new Set(records.flatMap((record) => (record.extras['warnings'] as string[] | undefined) ?? [])),
        result.warning,
      ]
        .filter(Boolean)
        .join('; ');
      return {
        status: 'synced',
        records,
        contactId: result.contactId,
        callId: result.callId,
        ...(warning ? { warning } : {}),
      };
    }
    if (result?.kind === 'skipped') return { status: 'skipped', error: result.reason };
    if (result?.kind === 'wait') {
      this.logger.info({ ...log, nextAttemptAt: result.notBefore.toISOString() }, 'call waits for HubSpot');
      return {
        status: 'retrying',
        records,
        error: result.reason,
        nextAttemptAt: result.notBefore,
        countAttempt: false,
      };
    }
    const reason = result?.reason ?? 'no sync result for this event';
    if (result?.kind === 'dead' || row.attempts + 1 >= this.env.sync.maxAttempts) {
      this.logger.warn({ ...log }, 'call dead-lettered');
      return {
        status: 'dead',
        records,
        error: result?.kind === 'dead' ? reason : `gave up after ${row.attempts + 1} attempts: ${reason}`,
      };
    }
    const jittered = backoffMs(row.attempts + 1, this.env.sync.retryBaseMs, MAX_RECORD_BACKOFF_MS);
    const nextAttemptAt = new Date(
      Math.max(now.getTime() + jittered, result?.kind === 'retry' ? (result.notBefore?.getTime() ?? 0) : 0),
    );
    this.logger.info({ ...log, nextAttemptAt: nextAttemptAt.toISOString() }, 'call will be retried');
    return { status: 'retrying', records, error: reason, nextAttemptAt };
  }

  /** HubSpot refused as a whole: say so in health, then wait (probing, for states only a probe can end). */
  private async pauseFor(error: unknown): Promise<void> {
    if (
      error instanceof HubSpotDailyLimitError ||
      error instanceof HubSpotAuthError ||
      error instanceof ProvisioningError
    ) {
      const state =
        error instanceof HubSpotDailyLimitError
          ? 'paused-daily-limit'
          : error instanceof HubSpotAuthError
            ? 'auth-failed'
            : 'misconfigured';
      const until = new Date(this.clock.now().getTime() + this.env.hubspot.probeIntervalMs);
      this.status.set(state, error.message, until);
      this.logger.warn(
        {
          state,
          status: error instanceof HubSpotAuthError ? error.status : undefined,
          nextProbeAt: until.toISOString(),
        },
        'HubSpot sync paused',
      );
      await this.waitUntilHubSpotAnswers();
      return;
    }
    const delay = OUTAGE_BACKOFF_MS[Math.min(this.outageStreak, OUTAGE_BACKOFF_MS.length - 1)]!;
    this.outageStreak++;
    const reason =
      error instanceof HubSpotRetryableError ? error.message : `unexpected sync error: ${errorSummary(error).message}`;
    this.status.set('unavailable', reason, new Date(this.clock.now().getTime() + delay));
    this.logger.warn({ error: errorSummary(error), retryInMs: delay }, 'HubSpot unavailable; backing off');
    await this.sleep(delay);
  }

  /** Probes HubSpot every probe interval until it takes requests again (or the worker stops). */
  private async waitUntilHubSpotAnswers(): Promise<void> {
    if (this.status.get().state === 'auth-failed') {
      await this.sleep(this.env.hubspot.probeIntervalMs);
      await this.untilAccessGranted();
      return;
    }
    if (this.status.get().state === 'misconfigured') {
      await this.untilPortalFits();
      return;
    }
    while (this.running) {
      await this.sleep(this.env.hubspot.probeIntervalMs);
      if (!this.running) return;
      try {
        await this.hubspot.probe();
        this.logger.info({ previous: this.status.get().state }, 'HubSpot answers again; sync resumes');
        this.status.set('ok');
        return;
      } catch (error) {
        if (error instanceof NotLeadingError) throw error;
        const current = this.status.get();
        this.status.set(
          current.state,
          current.reason,
          new Date(this.clock.now().getTime() + this.env.hubspot.probeIntervalMs),
        );
        this.logger.info(
          { state: current.state, error: errorSummary(error) },
          'HubSpot still refuses; sync stays paused',
        );
      }
    }
  }

  /** Checks the portal against the mapping every probe interval until it fits (an admin fixed it), or the worker stops. */
  private async untilPortalFits(): Promise<void> {
    while (this.running) {
      await this.sleep(this.env.hubspot.probeIntervalMs);
      if (!this.running) return;
      try {
        await this.sync.recheckPortal(this.config.current());
        this.logger.info({}, 'the HubSpot portal fits the mapping again; sync resumes');
        this.status.set('ok');
        return;
      } catch (error) {
        const next = new Date(this.clock.now().getTime() + this.env.hubspot.probeIntervalMs);
        if (error instanceof ProvisioningError) this.status.set('misconfigured', error.message, next);
        else if (!(error instanceof HubSpotError)) throw error;
        else this.status.set('misconfigured', this.status.get().reason, next);
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
