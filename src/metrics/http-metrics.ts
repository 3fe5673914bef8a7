import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { vendorDefinition } from '../vendors/vendors.js';

/** From a webhook stored in one group commit to one held up by a slow disk. */
const WEBHOOK_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Requests by route pattern and status, and webhooks' handling time by vendor: never by URL (Yunfu's holds its secret). */
@Injectable()
export class HttpMetrics {
  private readonly requests: Counter<'route' | 'status'>;
  private readonly refusedConnections: Counter;
  private readonly webhookDuration: Histogram<'vendor' | 'status'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'connector_http_requests_total',
      help: 'HTTP requests answered, by route pattern and status.',
      labelNames: ['route', 'status'],
      registers: [registry],
    });
    this.refusedConnections = new Counter({
      name: 'connector_http_connections_refused_total',
      help: 'Connections closed at once: their address already had HTTP_MAX_CONNECTIONS_PER_ADDRESS open.',
      registers: [registry],
    });
    this.webhookDuration = new Histogram({
      name: 'connector_webhook_duration_seconds',
      help: 'Time from a webhook request arriving to its answer, by vendor (unknown for a vendor name not supported) and HTTP status.',
      labelNames: ['vendor', 'status'],
      buckets: WEBHOOK_BUCKETS_SECONDS,
      registers: [registry],
    });
  }

  /** A connection closed at once because its address already had `HTTP_MAX_CONNECTIONS_PER_ADDRESS` open. */
  refusedConnection(): void {
    this.refusedConnections.inc();
  }

  /** One answered request. `vendor` is the webhook route's vendor segment, as sent. */
  record(route: string, status: number, seconds: number, vendor: string | undefined): void {
    this.requests.inc({ route, status: String(status) });
    if (route.startsWith('/webhooks/')) {
      // The segment is the sender's text: only supported names become labels, so that guesses cannot add series.
      const known = vendor !== undefined && vendorDefinition(vendor) ? vendor : 'unknown';
      this.webhookDuration.observe({ vendor: known, status: String(status) }, seconds);
    }
  }
}
