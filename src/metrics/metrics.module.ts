import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HUBSPOT_REQUEST_OBSERVER } from '../hubspot/hubspot.module.js';
import { HttpMetrics } from './http-metrics.js';
import { hubspotRequestObserver } from './hubspot-request-metrics.js';
import { MetricsController } from './metrics.controller.js';

/**
 * The application's metrics registry, injected as `Registry` wherever something is recorded. One per application,
 * never prom-client's global one: several applications share a process in the tests, and each counts its own.
 * Global like configuration and the logger: every layer records (the HubSpot adapter's request times reach it
 * through `HUBSPOT_REQUEST_OBSERVER`), and a lower layer importing this module would point an arrow up.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: Registry, useFactory: () => new Registry() },
    HttpMetrics,
    { provide: HUBSPOT_REQUEST_OBSERVER, inject: [Registry], useFactory: hubspotRequestObserver },
  ],
  exports: [Registry, HttpMetrics, HUBSPOT_REQUEST_OBSERVER],
})
export class MetricsModule {}
