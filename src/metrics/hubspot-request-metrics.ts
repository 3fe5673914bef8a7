import { Histogram, type Registry } from 'prom-client';
import type { HubSpotRequestObserver } from '../hubspot/hubspot.module.js';

/** From a fast read to the longest `HUBSPOT_REQUEST_TIMEOUT_MS` worth waiting for (30 s by default). */
const BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The HubSpot adapter's request observer: each request sent (every attempt) into a latency histogram. */
export function hubspotRequestObserver(registry: Registry): HubSpotRequestObserver {
  const duration = new Histogram({
    name: 'connector_hubspot_request_duration_seconds',
    help: 'Time from sending a request to HubSpot to its answer, by operation and HTTP status (network or timeout when none came). Each attempt counts.',
    labelNames: ['operation', 'status'],
    buckets: BUCKETS_SECONDS,
    registers: [registry],
  });
  return (operation, status, seconds) => duration.observe({ operation, status: String(status) }, seconds);
}
