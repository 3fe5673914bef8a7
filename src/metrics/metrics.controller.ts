import { Controller, Get, Header } from '@nestjs/common';
import { prometheusContentType, Registry } from 'prom-client';
import { processMetrics } from './process-metrics.js';

/** `GET /metrics`: Prometheus text format. No personal data: counts, states and timings only. */
@Controller('metrics')
export class MetricsController {
  // Taken now, not at the first scrape: the process CPU counters count from when they are first collected.
  private readonly processRegistry = processMetrics();

  constructor(private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', prometheusContentType)
  metrics(): Promise<string> {
    return Registry.merge([this.registry, this.processRegistry]).metrics();
  }
}
