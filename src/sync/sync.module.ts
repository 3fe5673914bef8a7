import { NotLeadingError } from '../common/app-error.js';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { APP_ENV } from '../config/config.tokens.js';
import { ConnectorConfig } from '../config/connector-config.service.js';
import type { AppEnv } from '../config/env.schema.js';
import { HubSpotError } from '../hubspot/hubspot-errors.js';
import { HubSpotModule } from '../hubspot/hubspot.module.js';
import { StoreModule } from '../store/store.module.js';
import { HubSpotProvisioner } from './hubspot-provisioner.js';
import { HubSpotSyncService, SYNC_OPTIONS, type SyncOptions } from './hubspot-sync.service.js';
import { InboxPruner } from './inbox-pruner.service.js';
import { InboxWorker } from './inbox-worker.service.js';
import { SyncLeader } from './sync-leader.service.js';

/** A reloaded mapping is checked against the portal before it goes live; where HubSpot cannot be asked, it is not. */
@Injectable()
class PortalCheckRegistration implements OnModuleInit {
  constructor(
    private readonly config: ConnectorConfig,
    private readonly provisioner: HubSpotProvisioner,
  ) {}

  onModuleInit(): void {
    this.config.setPortalCheck(async (settings) => {
      try {
        return await this.provisioner.check(settings);
      } catch (error) {
        // HubSpot unreachable, or this instance stands by (only the syncing one sends): the file checks alone decide.
        if (error instanceof HubSpotError || error instanceof NotLeadingError) return null;
        throw error;
      }
    });
  }
}

/**
 * Stored events to HubSpot: the worker that claims them, the sync that writes them, the provisioner of properties,
 * and the pruner of the payloads of events done with (retention).
 */
@Module({
  imports: [StoreModule, HubSpotModule],
  providers: [
    {
      provide: SYNC_OPTIONS,
      inject: [APP_ENV],
      useFactory: (env: AppEnv): SyncOptions => ({ searchLagMs: env.hubspot.searchLagMs }),
    },
    HubSpotProvisioner,
    HubSpotSyncService,
    InboxWorker,
    InboxPruner,
    SyncLeader,
    PortalCheckRegistration,
  ],
  exports: [HubSpotProvisioner, HubSpotSyncService, InboxWorker, InboxPruner, SyncLeader],
})
export class SyncModule {}
