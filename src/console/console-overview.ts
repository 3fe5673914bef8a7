import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import type { AppEnv } from '../config/env.schema.js';
import { shownDigest } from '../config/mapping-version-store.js';
import { DEFAULT_PORTAL } from '../config/portal.js';
import type { HubSpotRequestStats } from '../hubspot/hubspot-sdk.adapter.js';
import { HubSpotStatus } from '../hubspot/hubspot-status.js';
import { HUBSPOT_CONNECTION, type HubSpotConnection } from '../hubspot/hubspot.module.js';
import { InjectHubSpot, type HubSpotPort } from '../hubspot/hubspot.port.js';
import { RecordingsStatus } from '../recordings/recordings-status.js';
import { pingStore, type StoreDb } from '../store/database.js';
import { InboxRepository, STORE_DB } from '../store/inbox.repository.js';
import { LeaseRepository } from '../store/lease.repository.js';
import { RecordingRepository } from '../store/recording.repository.js';
import { SyncLeader } from '../sync/sync-leader.service.js';
import { hourlySeries, seriesStart } from './console-views.js';

/**
 * The console's first page: what `/health/ready` and `/metrics` read (the same sources), in one answer without
 * secrets: the mode and portal, how sync stands and who leads it, the inbox by status and its backlog, calls synced
 * per hour over the last day, HubSpot requests, recordings, and the mapping in force.
 */
@Injectable()
export class ConsoleOverview {
  constructor(
    private readonly hubspotStatus: HubSpotStatus,
    private readonly config: ConnectorConfig,
    private readonly leader: SyncLeader,
    private readonly leases: LeaseRepository,
    private readonly inbox: InboxRepository,
    private readonly recordings: RecordingRepository,
    private readonly recordingsStatus: RecordingsStatus,
    @InjectHubSpot() private readonly hubspot: HubSpotPort,
    @Inject(HUBSPOT_CONNECTION) private readonly connection: HubSpotConnection,
    @Inject(STORE_DB) private readonly db: StoreDb,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** The portal's id, where HubSpot named it (null in sandbox mode: its links would lead nowhere). */
  portalId(): string | null {
    return this.connection.mode === 'sandbox' ? null : this.hubspotStatus.portalId;
  }

  async overview() {
    const now = this.clock.now();
    const storeUp = await pingStore(this.db).then(
      () => true,
      () => false,
    );
    const status = this.hubspotStatus.get();
    const { loadedAt, lastReload, version } = this.config.reloadStatus();
    const recordingsView = this.recordingsStatus.get();
    const [lease, inbox, waiting, oldest, perHour, recordingCounts] = storeUp
      ? await Promise.all([
          this.leases.view(DEFAULT_PORTAL, now).catch(() => null),
          this.inbox.countByStatus(),
          this.inbox.waitingCount(),
          this.inbox.oldestWaitingReceivedAt(),
          this.inbox.syncedPerHour(seriesStart(now)),
          this.recordings.countByState(),
        ])
      : [null, null, 0, null, [], null];
    const degraded =
      !(status.state === 'ok' || status.state === 'starting' || status.state === 'standby') ||
      status.warnings.length > 0 ||
      status.failingEvents.length > 0 ||
      (lastReload !== null && !lastReload.ok) ||
      recordingsView.state === 'paused' ||
      (recordingCounts?.dead ?? 0) > 0;
    const stats = (this.hubspot as { stats?: HubSpotRequestStats }).stats;
    return {
      mode: this.connection.mode,
      portalId: this.portalId(),
      health: { status: !storeUp ? 'down' : degraded ? 'degraded' : 'ok' },
      hubspot: { state: status.state, reason: status.reason, since: status.since },
      sync: {
        instance: this.leader.instanceId,
        role: this.env.sync.enabled ? this.leader.role : 'disabled',
        leader: lease && !lease.expired ? lease.holder : null,
        epoch: lease && !lease.expired ? lease.epoch : null,
      },
      inbox: inbox ?? { pending: 0, processing: 0, synced: 0, retrying: 0, skipped: 0, dead: 0 },
      backlog: {
        waiting,
        oldestPendingAgeSeconds:
          oldest === null ? 0 : Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000)),
      },
      syncedPerHour: hourlySeries(perHour, now),
      hubspotRequests: { total: stats?.requests ?? 0, rateLimited: stats?.rateLimited ?? 0 },
      recordings: {
        state: recordingsView.state,
        mode: this.config.current().recordings.mode,
        waiting: recordingCounts ? recordingCounts.pending + recordingCounts.uploading + recordingCounts.uploaded : 0,
        stored: recordingCounts?.stored ?? 0,
        dead: recordingCounts?.dead ?? 0,
      },
      mapping: {
        version: version?.version ?? null,
        digest: version ? shownDigest(version.digest) : null,
        inForceSince: loadedAt,
      },
    };
  }
}
