import { join, relative } from 'node:path';
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import { shownDigest } from '../config/mapping-version-store.js';
import type { AppEnv } from '../config/env.schema.js';
import { MAPPING_FILE } from '../config/mapping/mapping-settings.js';
import { HubSpotStatus } from '../hubspot/hubspot-status.js';
import { pingStore, type StoreDb } from '../store/database.js';
import { STORE_DB } from '../store/inbox.repository.js';
import { CLOCK, type Clock } from '../common/clock.js';
import { LeaseRepository } from '../store/lease.repository.js';
import { DEFAULT_PORTAL } from '../config/portal.js';
import { SyncLeader } from '../sync/sync-leader.service.js';
import { RecordingsStatus } from '../recordings/recordings-status.js';
import { RecordingRepository } from '../store/recording.repository.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly hubspot: HubSpotStatus,
    private readonly config: ConnectorConfig,
    @Inject(STORE_DB) private readonly db: StoreDb,
    @Inject(APP_ENV) private readonly env: AppEnv,
    private readonly leader: SyncLeader,
    private readonly leases: LeaseRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly recordingsStatus: RecordingsStatus,
    private readonly recordings: RecordingRepository,
  ) {}

  /** A reload problem as health shows it: `mapping.yaml:12 …`, without the folder it is in. */
  private withoutFolders(problem: string): string {
    const file = join(this.env.configDir, MAPPING_FILE);
    return [file, relative(process.cwd(), file)]
      .filter((path) => path !== '' && path !== MAPPING_FILE)
      .reduce((text, path) => text.split(path).join(MAPPING_FILE), problem)
      .replace(/ \(CONFIG_DIR is [^)]*\)/, '');
  }

  /** The process is up and serving. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * Ready to take webhooks: the store answers (else 503). HubSpot's state is reported alongside: a paused sync
   * (daily limit, bad token, outage) makes the status `degraded` with the reason, not a 503, because webhooks are
   * still taken and stored safely while it lasts.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const store = this.indicators.check('store');
        try {
          await pingStore(this.db);
          return store.up();
        } catch {
          return store.down({ message: 'the store does not answer' });
        }
      },
      () => {
        const hubspot = this.indicators.check('hubspot');
        const { state, since, reason, nextProbeAt, mode, warnings, failingEvents } = this.hubspot.get();
        const details = {
          state,
          mode,
          since,
          ...(reason ? { reason } : {}),
          ...(nextProbeAt ? { nextProbeAt } : {}),
          ...(warnings.length > 0 ? { warnings } : {}),
          ...(failingEvents.length > 0 ? { failingEvents } : {}),
        };
        const clear =
          (state === 'ok' || state === 'starting' || state === 'standby') &&
          warnings.length === 0 &&
          failingEvents.length === 0;
        return clear ? hubspot.up(details) : hubspot.degraded(details);
      },
      async () => {
        // Which instance syncs: this one (role leader) or another (standby); every instance takes webhooks.
        const sync = this.indicators.check('sync');
        const lease = await this.leases.view(DEFAULT_PORTAL, this.clock.now()).catch(() => null);
        return sync.up({
          instance: this.leader.instanceId,
          role: this.env.sync.enabled ? this.leader.role : 'disabled',
          ...(this.leader.epoch !== null ? { epoch: this.leader.epoch } : {}),
          ...(lease && !lease.expired ? { leader: lease.holder, leaderEpoch: lease.epoch } : {}),
        });
      },
      () => {
        const config = this.indicators.check('config');
        // The file's name only: this endpoint needs no token, and the server's folders are not its callers' business.
        const { loadedAt, lastReload, version } = this.config.reloadStatus();
        // The version in force, the same on every instance sharing the store (unless one refused it: see message).
        const details = {
          file: MAPPING_FILE,
          inForceSince: loadedAt,
          ...(version
            ? {
                version: version.version,
                digest: shownDigest(version.digest),
                stored: { at: version.storedAt, by: version.storedBy, trigger: version.trigger },
              }
            : {}),
        };
        if (lastReload && !lastReload.ok) {
          const { stored } = lastReload;
          return config.degraded({
            ...details,
            message: stored
              ? `version ${stored.version} (stored by ${stored.storedBy}, ${stored.trigger}) was refused here at ${lastReload.at}; ${version ? `version ${version.version}` : 'the previous mapping'} stays in force`
              : `the ${lastReload.trigger} reload at ${lastReload.at} was refused; the previous mapping stays in force`,
            problems: lastReload.problems.map((problem) => this.withoutFolders(problem)),
          });
        }
        return config.up(details);
      },
      async () => {
        // The recordings stage: its state, and how many recordings wait or were given up on (dead letters).
        const recordings = this.indicators.check('recordings');
        const { state, since, reason, nextTryAt } = this.recordingsStatus.get();
        const counts = await this.recordings.countByState().catch(() => null);
        const details = {
          state,
          mode: this.config.current().recordings.mode,
          since,
          ...(reason ? { reason } : {}),
          ...(nextTryAt ? { nextTryAt } : {}),
          ...(counts
            ? { waiting: counts.pending + counts.uploading + counts.uploaded, stored: counts.stored, dead: counts.dead }
            : {}),
        };
        return state === 'paused' || (counts?.dead ?? 0) > 0 ? recordings.degraded(details) : recordings.up(details);
      },
    ]);
  }
}
