import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AdminModule } from './admin/admin.module.js';
import { AppExceptionFilter } from './common/app-exception.filter.js';
import { ConsoleModule } from './console/console.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { StateMetrics } from './metrics/state-metrics.js';
import { AppConfigModule, type AppConfigOptions } from './config/config.module.js';
import { HealthController } from './health/health.controller.js';
import { HubSpotModule } from './hubspot/hubspot.module.js';
import type { AppLogger } from './logging/app-logger.js';
import { LoggingModule } from './logging/logging.module.js';
import { RecordingsModule } from './recordings/recordings.module.js';
import { StoreModule } from './store/store.module.js';
import { SyncModule } from './sync/sync.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

export interface AppModuleOptions extends AppConfigOptions {
  logger: AppLogger;
  /** More controllers in the same application (the benchmarks' bare route). */
  controllers?: Array<Type<unknown>>;
}

/**
 * The application: webhooks in, the store, sync to HubSpot, recordings kept in HubSpot, the admin API, the operator
 * console, health and metrics. Configuration and the
 * logger are global (every module reads them); every other module names what it uses in its `imports`.
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggingModule.forRoot(options.logger),
        AppConfigModule.forRoot(options),
        MetricsModule,
        StoreModule,
        HubSpotModule,
        WebhooksModule,
        SyncModule,
        RecordingsModule,
        AdminModule,
        ConsoleModule,
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, ...(options.controllers ?? [])],
      // StateMetrics reads counts kept by several modules (the inbox, HubSpot, the webhooks' throttle) at each scrape.
      providers: [{ provide: APP_FILTER, useClass: AppExceptionFilter }, StateMetrics],
    };
  }
}
