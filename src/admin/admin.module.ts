import { Module } from '@nestjs/common';
import { HubSpotModule } from '../hubspot/hubspot.module.js';
import { HUBSPOT_PORT, type HubSpotPort } from '../hubspot/hubspot.port.js';
import { StoreModule } from '../store/store.module.js';
import { LedgerRepository } from '../store/ledger.repository.js';
import { HubSpotProvisioner, portalOutcomes } from '../sync/hubspot-provisioner.js';
import { SyncModule } from '../sync/sync.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { AdminController } from './admin.controller.js';
import { MappingPreview } from './mapping-preview.js';

/** The admin API (`ADMIN_TOKEN`): the mapping preview and reload. Guessed tokens share the webhooks' throttle. */
@Module({
  imports: [StoreModule, HubSpotModule, SyncModule, WebhooksModule],
  controllers: [AdminController],
  providers: [
    {
      provide: MappingPreview,
      inject: [LedgerRepository, HUBSPOT_PORT, HubSpotProvisioner],
      useFactory: (ledger: LedgerRepository, hubspot: HubSpotPort, provisioner: HubSpotProvisioner) =>
        new MappingPreview(ledger, hubspot, async () =>
          provisioner.isProvisioned ? provisioner.outcomeIds : portalOutcomes(hubspot),
        ),
    },
  ],
  // The console's previews share this one (and its budget of HubSpot searches).
  exports: [MappingPreview],
})
export class AdminModule {}
