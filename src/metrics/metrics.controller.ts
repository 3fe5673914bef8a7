import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ConnectorConfig } from '../config/connector-config.service.js';
import { HubSpotStatus, type HubSpotSyncState } from '../hubspot/hubspot-status.js';
import { HUBSPOT_PORT, type HubSpotPort } from '../hubspot/hubspot.port.js';
import type { HubSpotRequestStats } from '../hubspot/hubspot-sdk.adapter.js';
import { INBOX_STATUSES } from '../store/database.js';
import { InboxRepository } from '../store/inbox.repository.js';
import { AuthThrottle } from '../webhooks/auth-throttle.js';
import { HttpMetrics } from './http-metrics.js';

const SYNC_STATES: HubSpotSyncState[] = ['starting', 'ok', 'paused-daily-limit', 'auth-failed', 'unavailable', 'misconfigured'];

/** `GET /metrics`: Prometheus text format. No personal data: counts and states only. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly inbox: InboxRepository,
    private readonly http: HttpMetrics,
    private readonly status: HubSpotStatus,
    private readonly config: ConnectorConfig,
    private readonly throttle: AuthThrottle,
    @Inject(HUBSPOT_PORT) private readonly hubspot: HubSpotPort,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async metrics(): Promise<string> {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[Record<string, string>, number]>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) {
        const text = Object.entries(labels).map(([key, label]) => `${key}="${label.replace(/["\\\n]/g, '_')}"`).join(',');
        lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
      }
    };
    metric('connector_http_requests_total', 'counter', 'HTTP requests answered, by route pattern and status.', this.http.samples());
    metric('connector_http_connections_refused_total', 'counter', 'Connections closed at once: their address already had HTTP_MAX_CONNECTIONS_PER_ADDRESS open.', [[{}, this.http.refusedConnections]]);
    metric('connector_webhook_auth_failures_total', 'counter', 'Webhooks and admin requests refused for a missing or wrong secret or token.', [[{}, this.throttle.stats.failures]]);
    metric('connector_webhook_auth_throttled_total', 'counter', 'Webhooks and admin requests answered 429: too many wrong secrets from their address.', [[{}, this.throttle.stats.throttled]]);
    const counts = await this.inbox.countByStatus();
    metric('connector_inbox_events', 'gauge', 'Stored vendor events by status.', INBOX_STATUSES.map((status) => [{ status }, counts[status]]));
    const stats = (this.hubspot as { stats?: HubSpotRequestStats }).stats;
    if (stats) {
      metric('connector_hubspot_requests_total', 'counter', 'Requests sent to HubSpot, by operation.', Object.entries(stats.byOperation).map(([operation, value]) => [{ operation }, value]));
      metric('connector_hubspot_rate_limited_total', 'counter', 'HubSpot 429 answers received.', [[{}, stats.rateLimited]]);
      metric('connector_hubspot_retries_total', 'counter', 'HubSpot requests retried after a 429, 5xx or network error.', [[{}, stats.retries]]);
      metric('connector_hubspot_refused_total', 'counter', 'HubSpot requests refused as a whole with a 4xx other than 429 (deterministic refusals; they fail only the calls they concern).', [[{}, stats.refused]]);
      metric('connector_hubspot_search_body_max_chars', 'gauge', 'The longest search body sent, in characters (HubSpot refuses more than 3,000).', [[{}, stats.largestSearchBody]]);
    }
    const { state, warnings } = this.status.get();
    metric('connector_hubspot_warnings', 'gauge', 'Warnings an admin should read in /health/ready (an option limit reached, a property HubSpot refused to create).', [[{}, warnings.length]]);
    metric('connector_hubspot_sync_state', 'gauge', 'HubSpot sync state (1 for the current one).', SYNC_STATES.map((name) => [{ state: name }, name === state ? 1 : 0]));
    const reload = this.config.reloadStatus().lastReload;
    metric('connector_mapping_reload_failed', 'gauge', '1 when the last reload of config/mapping.yaml was refused (the previous mapping is in force).', [[{}, reload && !reload.ok ? 1 : 0]]);
    return `${lines.join('\n')}\n`;
  }
}
