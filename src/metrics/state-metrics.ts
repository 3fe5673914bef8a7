import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { CLOCK, type Clock } from '../common/clock.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import { InboxPruner } from '../sync/inbox-pruner.service.js';
import { SyncLeader } from '../sync/sync-leader.service.js';
import { HubSpotStatus, type HubSpotSyncState } from '../hubspot/hubspot-status.js';
import { InjectHubSpot, type HubSpotPort } from '../hubspot/hubspot.port.js';
import type { HubSpotRequestStats } from '../hubspot/hubspot-sdk.adapter.js';
import { INBOX_STATUSES, RECORDING_STATES } from '../store/database.js';
import { RecordingRepository } from '../store/recording.repository.js';
import { RecordingsStatus } from '../recordings/recordings-status.js';
import { InboxRepository } from '../store/inbox.repository.js';
import { AuthThrottle } from '../webhooks/auth-throttle.js';

const SYNC_STATES: HubSpotSyncState[] = [
  'starting',
  'standby',
  'ok',
  'paused-daily-limit',
  'auth-failed',
  'unavailable',
  'misconfigured',
];

/**
 * Metrics read at each scrape from the parts that keep them (the inbox, the throttle, the HubSpot adapter's
 * counters, sync and mapping state): those parts stay free of prom-client. Counts and states only, no personal data.
 */
@Injectable()
export class StateMetrics implements OnModuleInit {
  constructor(
    private readonly registry: Registry,
    private readonly inbox: InboxRepository,
    private readonly status: HubSpotStatus,
    private readonly config: ConnectorConfig,
    private readonly throttle: AuthThrottle,
    @InjectHubSpot() private readonly hubspot: HubSpotPort,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly leader: SyncLeader,
    private readonly pruner: InboxPruner,
    private readonly recordings: RecordingRepository,
    private readonly recordingsStatus: RecordingsStatus,
  ) {}

  onModuleInit(): void {
    const registers = [this.registry];
    const { throttle, inbox, status, config, clock, leader, pruner, recordings, recordingsStatus } = this;
    // A counter kept elsewhere is copied in at each scrape: prom-client counters only go up by `inc`.
    const counterOf = (name: string, help: string, read: () => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    };

    counterOf(
      'connector_webhook_auth_failures_total',
      'Webhooks and admin requests refused for a missing or wrong secret or token.',
      () => throttle.stats.failures,
    );
    counterOf(
      'connector_webhook_auth_throttled_total',
      'Webhooks and admin requests answered 429: too many wrong secrets from their address.',
      () => throttle.stats.throttled,
    );
    new Gauge({
      name: 'connector_inbox_events',
      help: 'Stored vendor events by status.',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await inbox.countByStatus();
        for (const name of INBOX_STATUSES) this.set({ status: name }, counts[name]);
      },
    });
    new Gauge({
      name: 'connector_sync_leader',
      help: 'The sync lease: 1 when this instance (label instance) holds it and syncs, 0 while it stands by; epoch is the lease epoch it syncs under.',
      labelNames: ['instance', 'epoch'],
      registers,
      collect() {
        this.reset();
        this.set({ instance: leader.instanceId, epoch: String(leader.epoch ?? '') }, leader.epoch === null ? 0 : 1);
      },
    });
    new Gauge({
      name: 'connector_inbox_backlog',
      help: 'Events waiting to sync to HubSpot: pending, processing (in flight) or retrying (due for another try).',
      registers,
      async collect() {
        this.set(await inbox.waitingCount());
      },
    });
    new Gauge({
      name: 'connector_inbox_oldest_pending_age_seconds',
      help: 'Seconds since the first stored of the events waiting to sync (as in connector_inbox_backlog) was received; 0 when none waits.',
      registers,
      async collect() {
        const receivedAt = await inbox.oldestWaitingReceivedAt();
        this.set(receivedAt === null ? 0 : Math.max(0, (clock.now().getTime() - Date.parse(receivedAt)) / 1000));
      },
    });
    counterOf(
      'connector_retention_pruned_total',
      'Synced and skipped events whose payload this instance pruned (RETENTION_DAYS after they were finished), since it started.',
      () => pruner.stats.pruned,
    );
    new Gauge({
      name: 'connector_retention_oldest_payload_age_seconds',
      help: 'Seconds since the longest-finished synced or skipped event still holding its payload was finished; 0 when none. Stays under RETENTION_DAYS plus the prune interval while pruning works.',
      registers,
      async collect() {
        const finishedAt = await inbox.oldestPrunableFinishedAt();
        this.set(finishedAt === null ? 0 : Math.max(0, (clock.now().getTime() - Date.parse(finishedAt)) / 1000));
      },
    });

    const stats = (this.hubspot as { stats?: HubSpotRequestStats }).stats;
    if (stats) {
      new Counter({
        name: 'connector_hubspot_requests_total',
        help: 'Requests sent to HubSpot, by operation.',
        labelNames: ['operation'],
        registers,
        collect() {
          this.reset();
          for (const [operation, value] of Object.entries(stats.byOperation)) this.inc({ operation }, value);
        },
      });
      counterOf('connector_hubspot_rate_limited_total', 'HubSpot 429 answers received.', () => stats.rateLimited);
      counterOf(
        'connector_hubspot_retries_total',
        'HubSpot requests retried after a 429, 5xx or network error.',
        () => stats.retries,
      );
      counterOf(
        'connector_hubspot_refused_total',
        'HubSpot requests refused as a whole with a 4xx other than 429 (deterministic refusals; they fail only the calls they concern).',
        () => stats.refused,
      );
      new Gauge({
        name: 'connector_hubspot_search_body_max_chars',
        help: 'The longest search body sent, in characters (HubSpot refuses more than 3,000).',
        registers,
        collect() {
          this.set(stats.largestSearchBody);
        },
      });
    }

    new Gauge({
      name: 'connector_hubspot_warnings',
      help: 'Warnings an admin should read in /health/ready (an option limit reached, a property HubSpot refused to create).',
      registers,
      collect() {
        this.set(status.get().warnings.length);
      },
    });
    new Gauge({
      name: 'connector_hubspot_sync_state',
      help: 'HubSpot sync state (1 for the current one).',
      labelNames: ['state'],
      registers,
      collect() {
        const { state } = status.get();
        for (const name of SYNC_STATES) this.set({ state: name }, name === state ? 1 : 0);
      },
    });
    new Gauge({
      name: 'connector_recordings',
      help: 'Recordings to keep in HubSpot by state: pending (to fetch and upload), uploading (an upload to confirm), uploaded (the call to point at it), stored, dead.',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await recordings.countByState();
        for (const name of RECORDING_STATES) this.set({ state: name }, counts[name]);
      },
    });
    new Gauge({
      name: 'connector_recordings_oldest_pending_age_seconds',
      help: 'Seconds since the longest-waiting recording still to keep (pending, uploading or uploaded) was queued; 0 when none waits.',
      registers,
      async collect() {
        const queuedAt = await recordings.oldestWaitingCreatedAt();
        this.set(queuedAt === null ? 0 : Math.max(0, (clock.now().getTime() - Date.parse(queuedAt)) / 1000));
      },
    });
    new Gauge({
      name: 'connector_recordings_stored_bytes',
      help: 'Bytes of the recordings kept in HubSpot (all instances, from the store): what they take of HubSpot file storage.',
      registers,
      async collect() {
        this.set(await recordings.storedBytes());
      },
    });
    counterOf(
      'connector_recordings_stored_total',
      'Recordings this instance stored in HubSpot since it started.',
      () => recordingsStatus.stats.stored,
    );
    counterOf(
      'connector_recordings_dead_total',
      'Recordings this instance gave up on (dead letters, replayable) since it started.',
      () => recordingsStatus.stats.dead,
    );
    new Gauge({
      name: 'connector_recordings_paused',
      help: '1 while the recordings stage waits for HubSpot (an outage, the daily limit, a token without the files scope); calls sync meanwhile.',
      registers,
      collect() {
        this.set(recordingsStatus.get().state === 'paused' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'connector_mapping_version',
      help: 'The version of the mapping in force on this instance, as stored for all instances on the store (0: none stored).',
      registers,
      collect() {
        this.set(config.reloadStatus().version?.version ?? 0);
      },
    });
    new Gauge({
      name: 'connector_mapping_reload_failed',
      help: '1 when the last reload of config/mapping.yaml, or the last version taken from the store, was refused (the previous mapping is in force).',
      registers,
      collect() {
        const reload = config.reloadStatus().lastReload;
        this.set(reload && !reload.ok ? 1 : 0);
      },
    });
  }
}
