import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AdminController } from './admin/admin.controller.js';
import { AppExceptionFilter } from './common/app-exception.filter.js';
import { HubSpotProvisioner, portalOutcomes } from './hubspot/hubspot-provisioner.js';
import { HUBSPOT_PORT, type HubSpotPort } from './hubspot/hubspot.port.js';
import { MappingPreview } from './mapping/mapping-preview.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { StateMetrics } from './metrics/state-metrics.js';
import { LedgerRepository } from './store/ledger.repository.js';
import { AppConfigModule, type AppConfigOptions } from './config/config.module.js';
import { HealthController } from './health/health.controller.js';
import { HubSpotModule } from './hubspot/hubspot.module.js';
import type { AppLogger } from './logging/app-logger.js';
import { LoggingModule } from './logging/logging.module.js';
import { StoreModule } from './store/store.module.js';
import { InboxWorker } from './sync/inbox-worker.service.js';
import { VendorRegistry } from './vendors/vendor-registry.js';
import { AuthThrottle } from './webhooks/auth-throttle.js';
import { WebhookIngestService } from './webhooks/webhook-ingest.service.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';

export interface AppModuleOptions extends AppConfigOptions {
  logger: AppLogger;
  /** More controllers in the same application (the benchmarks' bare route). */
  controllers?: Array<Type<unknown>>;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [LoggingModule.forRoot(options.logger), AppConfigModule.forRoot(options), StoreModule, MetricsModule, HubSpotModule, TerminusModule.forRoot({ logger: false })],
      controllers: [WebhooksController, HealthController, AdminController, ...(options.controllers ?? [])],
      providers: [
        { provide: APP_FILTER, useClass: AppExceptionFilter },
        VendorRegistry,
        WebhookIngestService,
        AuthThrottle,
        InboxWorker,
        // Here, not in MetricsModule: it reads the AuthThrottle of this module.
        StateMetrics,
        {
          provide: MappingPreview,
          inject: [LedgerRepository, HUBSPOT_PORT, HubSpotProvisioner],
          useFactory: (ledger: LedgerRepository, hubspot: HubSpotPort, provisioner: HubSpotProvisioner) =>
            new MappingPreview(ledger, hubspot, async () => (provisioner.isProvisioned ? provisioner.outcomeIds : portalOutcomes(hubspot))),
        },
      ],
    };
  }
}
