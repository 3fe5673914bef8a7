import { Controller, Get, Header } from '@nestjs/common';
import { prometheusContentType, Registry } from 'prom-client';

/** `GET /metrics`: Prometheus text format. No personal data: counts, states and timings only. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly registry: Registry) {}

  @Get()
  @Header('Content-Type', prometheusContentType)
  metrics(): Promise<string> {
    return this.registry.metrics();
  }
}
