import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';

/**
 * The application's metrics registry, injected as `Registry` wherever something is recorded. One per application,
 * never prom-client's global one: several applications share a process in the tests, and each counts its own.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [{ provide: Registry, useFactory: () => new Registry() }, HttpMetrics],
  exports: [Registry, HttpMetrics],
})
export class MetricsModule {}
