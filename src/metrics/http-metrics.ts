import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';

/** Request counts by route pattern and status (never by URL: Yunfu's URL holds its secret). */
@Injectable()
export class HttpMetrics {
  private readonly requests: Counter<'route' | 'status'>;
  private readonly refusedConnections: Counter;

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
  }

  /** A connection closed at once because its address already had `HTTP_MAX_CONNECTIONS_PER_ADDRESS` open. */
  refusedConnection(): void {
    this.refusedConnections.inc();
  }

  record(route: string, status: number): void {
    this.requests.inc({ route, status: String(status) });
  }
}
