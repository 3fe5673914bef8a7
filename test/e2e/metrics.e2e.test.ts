import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotStatus } from '../../src/hubspot/hubspot-status.js';
import { voicefoxEvent, chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { parsePrometheusText, sampleValue, type MetricFamily } from '../support/prometheus-text.js';
import { postJson, startTestApp, VOICEFOX_SECRET, waitFor, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

const apps: TestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) {
    // A request still held by a hang fault would keep the worker, and so the close, waiting for its time-out.
    app.emulator.clearFaults();
    await app.close();
  }
});

/** An app whose start-up check of HubSpot is done, so that the only HubSpot traffic from now on is sync. */
async function startSyncingApp(): Promise<TestApp> {
  const t = await startTestApp();
  apps.push(t);
  await waitFor(() => t.app.get(HubSpotStatus).get().state === 'ok', 10_000);
  return t;
}

async function scrape(t: TestApp): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`${t.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheusText(await response.text());
}

const voicefox = (t: TestApp, body: unknown, secret = VOICEFOX_SECRET) =>
  postJson(`${t.url}/webhooks/voicefox`, body, { authorization: `Bearer ${secret}` });
const yunfu = (t: TestApp, body: unknown, secret = YUNFU_SECRET) => postJson(`${t.url}/webhooks/yunfu/${secret}`, body);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Each series of a histogram family, by its labels other than `le`: count, sum and buckets (upper bound → count). */
function histogramSeries(families: Map<string, MetricFamily>, name: string) {
  const family = families.get(name);
  expect(family?.type, `${name} is a histogram`).toBe('histogram');
  const series = new Map<
    string,
    { labels: Record<string, string>; count: number; sum: number; buckets: Array<[number, number]> }
  >();
  for (const sample of family!.samples) {
    const { le, ...labels } = sample.labels;
    const key = JSON.stringify(labels);
    const entry = series.get(key) ?? { labels, count: Number.NaN, sum: Number.NaN, buckets: [] };
    series.set(key, entry);
    if (sample.name === `${name}_count`) entry.count = sample.value;
    else if (sample.name === `${name}_sum`) entry.sum = sample.value;
    else entry.buckets.push([le === '+Inf' ? Infinity : Number(le), sample.value]);
  }
  for (const { labels, count, sum, buckets } of series.values()) {
    // A well-formed series: cumulative buckets ending in +Inf at the count, and a sum of positive durations.
    expect(buckets.at(-1), `${name} ${JSON.stringify(labels)}`).toEqual([Infinity, count]);
    expect(buckets.every(([, value], index) => index === 0 || value >= buckets[index - 1]![1])).toBe(true);
    expect(count).toBeGreaterThan(0);
    expect(sum).toBeGreaterThan(0);
  }
  return [...series.values()];
}

describe('GET /metrics', () => {
  it('shows how many events wait to sync and how long the oldest has waited, and 0 once they are synced', async () => {
    const t = await startSyncingApp();
    // HubSpot holds every request unanswered: the worker is stuck on its first one, nothing can sync.
    t.emulator.setFaults({ mode: 'hang' });
    const firstSent = Date.now();
    expect((await voicefox(t, voicefoxEvent('callin-collect', 'backlog-1', chinaMobile(1)))).status).toBe(200);
    const firstStored = Date.now();
    expect(
      (
        await yunfu(
          t,
          yunfuBatch([
            yunfuCall({ callid: 'backlog-2', number: chinaMobile(2) }),
            yunfuCall({ callid: 'backlog-3', number: chinaMobile(3) }),
          ]),
        )
      ).body,
    ).toMatchObject({ stored: 2 });
    await waitFor(() => t.emulator.hungRequestCount > 0, 5_000);
    await sleep(200);

    const scrapeStarted = Date.now();
    const waiting = await scrape(t);
    const scrapeEnded = Date.now();
    expect(waiting.get('connector_inbox_backlog')?.type).toBe('gauge');
    expect(sampleValue(waiting, 'connector_inbox_backlog', 'connector_inbox_backlog')).toBe(3);
    const byStatus = (status: string) =>
      sampleValue(waiting, 'connector_inbox_events', 'connector_inbox_events', { status })!;
    expect(byStatus('pending') + byStatus('processing') + byStatus('retrying')).toBe(3);
    // The first event was stored between `firstSent` and `firstStored`, and has waited since.
    const age = sampleValue(
      waiting,
      'connector_inbox_oldest_pending_age_seconds',
      'connector_inbox_oldest_pending_age_seconds',
    )!;
    expect(waiting.get('connector_inbox_oldest_pending_age_seconds')?.type).toBe('gauge');
    expect(age).toBeGreaterThanOrEqual((scrapeStarted - firstStored) / 1000);
    expect(age).toBeGreaterThanOrEqual(0.2);
    expect(age).toBeLessThanOrEqual((scrapeEnded - firstSent) / 1000);

    t.emulator.clearFaults();
    await t.settled();
    const synced = await scrape(t);
    expect(sampleValue(synced, 'connector_inbox_events', 'connector_inbox_events', { status: 'synced' })).toBe(3);
    expect(sampleValue(synced, 'connector_inbox_backlog', 'connector_inbox_backlog')).toBe(0);
    expect(
      sampleValue(synced, 'connector_inbox_oldest_pending_age_seconds', 'connector_inbox_oldest_pending_age_seconds'),
    ).toBe(0);
  });

  it('times each webhook by vendor and status, and each HubSpot request by operation and status as HubSpot answered it', async () => {
    const t = await startSyncingApp();
    // One contact search answered 503 (then retried): a status other than 2xx to find in the histogram.
    t.emulator.setFaults({ mode: 'status', status: 503, count: 1, paths: '/contacts/search$' });
    const statuses = [
      (await voicefox(t, voicefoxEvent('callin-collect', 'timed-1', chinaMobile(11)))).status,
      (await voicefox(t, voicefoxEvent('callin-hangup', 'timed-1', chinaMobile(11)))).status,
      (
        await yunfu(
          t,
          yunfuBatch([
            yunfuCall({ callid: 'timed-2', number: chinaMobile(12) }),
            yunfuCall({ callid: 'timed-3', number: chinaMobile(13) }),
          ]),
        )
      ).status,
      (await voicefox(t, voicefoxEvent('callin-collect', 'timed-4'), 'wrong-secret-0123456789')).status,
      (await yunfu(t, yunfuBatch([]), 'wrong-path-secret-0123456789')).status,
      (await yunfu(t, '{"count": 1, "data": [')).status,
      (await postJson(`${t.url}/webhooks/no-such-vendor`, {})).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 401, 401, 400, 404]);
    await t.settled();
    expect(t.emulator.faultsReport().applied).toBe(1);

    // Every webhook once, under its vendor (a name not supported is `unknown`) and status.
    const families = await scrape(t);
    const webhooks = histogramSeries(families, 'connector_webhook_duration_seconds');
    expect(
      Object.fromEntries(
        webhooks.map((series) => [`${series.labels['vendor']} ${series.labels['status']}`, series.count]),
      ),
    ).toEqual({
      'voicefox 200': 2,
      'yunfu 200': 1,
      'voicefox 401': 1,
      'yunfu 401': 1,
      'yunfu 400': 1,
      'unknown 404': 1,
    });
    expect(webhooks.every((series) => Object.keys(series.labels).sort().join() === 'status,vendor')).toBe(true);
    expect(
      families
        .get('connector_webhook_duration_seconds')!
        .samples.filter((sample) => sample.name.endsWith('_bucket'))
        .map((sample) => sample.labels['le']),
    ).toContain('0.001');
    const text = await (await fetch(`${t.url}/metrics`)).text();
    for (const secret of [YUNFU_SECRET, VOICEFOX_SECRET, 'wrong-path-secret-0123456789', 'no-such-vendor'])
      expect(text).not.toContain(secret);

    // Every HubSpot request, as the emulator answered it: the same counts by status, and by operation as the
    // request counter has them.
    const hubspot = histogramSeries(families, 'connector_hubspot_request_duration_seconds');
    const byStatus: Record<string, number> = {};
    const byOperation: Record<string, number> = {};
    for (const { labels, count } of hubspot) {
      byStatus[labels['status']!] = (byStatus[labels['status']!] ?? 0) + count;
      byOperation[labels['operation']!] = (byOperation[labels['operation']!] ?? 0) + count;
    }
    // Polled: the emulator may log a request a moment after its answer left.
    await expect.poll(() => t.emulator.counters.byStatus, { timeout: 2_000 }).toEqual(byStatus);
    expect(byStatus['503']).toBe(1);
    const requests = families.get('connector_hubspot_requests_total')!.samples;
    expect(byOperation).toEqual(
      Object.fromEntries(requests.map((sample) => [sample.labels['operation'], sample.value])),
    );
    expect(
      sampleValue(
        families,
        'connector_hubspot_request_duration_seconds',
        'connector_hubspot_request_duration_seconds_count',
        { operation: 'contacts.search', status: '503' },
      ),
    ).toBe(1);
    expect(
      sampleValue(
        families,
        'connector_hubspot_request_duration_seconds',
        'connector_hubspot_request_duration_seconds_count',
        { operation: 'calls.create', status: '201' },
      ),
    ).toBeGreaterThan(0);
    expect(
      families.get('connector_hubspot_request_duration_seconds')!.samples.map((sample) => sample.labels['le']),
    ).toContain('30');
  });

  it('keeps every earlier metric, adds the Node.js process metrics, and counts each application on its own', async () => {
    const [t, other] = [await startSyncingApp(), await startSyncingApp()];
    expect((await yunfu(t, yunfuBatch([yunfuCall({ callid: 'own-1', number: chinaMobile(21) })]))).status).toBe(200);
    await t.settled();
    const families = await scrape(t);

    const earlier: Record<string, string> = {
      connector_http_requests_total: 'counter',
      connector_http_connections_refused_total: 'counter',
      connector_webhook_auth_failures_total: 'counter',
      connector_webhook_auth_throttled_total: 'counter',
      connector_inbox_events: 'gauge',
      connector_hubspot_requests_total: 'counter',
      connector_hubspot_rate_limited_total: 'counter',
      connector_hubspot_retries_total: 'counter',
      connector_hubspot_refused_total: 'counter',
      connector_hubspot_search_body_max_chars: 'gauge',
      connector_hubspot_warnings: 'gauge',
      connector_hubspot_sync_state: 'gauge',
      connector_mapping_reload_failed: 'gauge',
    };
    for (const [name, type] of Object.entries(earlier)) {
      expect(families.get(name)?.type, name).toBe(type);
      expect(families.get(name)!.samples.length, name).toBeGreaterThan(0);
    }
    expect(
      sampleValue(families, 'connector_http_requests_total', 'connector_http_requests_total', {
        route: '/webhooks/:vendor/:secret',
        status: '200',
      }),
    ).toBe(1);
    expect(sampleValue(families, 'connector_inbox_events', 'connector_inbox_events', { status: 'synced' })).toBe(1);
    expect(sampleValue(families, 'connector_hubspot_sync_state', 'connector_hubspot_sync_state', { state: 'ok' })).toBe(
      1,
    );
    expect(
      sampleValue(families, 'connector_http_connections_refused_total', 'connector_http_connections_refused_total'),
    ).toBe(0);

    // prom-client's defaults, unprefixed.
    expect(families.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(families.get('process_start_time_seconds')?.samples[0]?.value).toBeGreaterThan(0);
    expect(families.get('nodejs_heap_size_used_bytes')?.samples[0]?.value).toBeGreaterThan(0);
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(families.get('nodejs_version_info')?.samples[0]?.labels['version']).toBe(process.version);

    // The other application in this process saw none of that traffic.
    const others = await scrape(other);
    expect(
      others
        .get('connector_http_requests_total')!
        .samples.filter((sample) => sample.labels['route']?.startsWith('/webhooks')),
    ).toEqual([]);
    expect(others.get('connector_webhook_duration_seconds')!.samples).toEqual([]);
    expect(sampleValue(others, 'connector_inbox_events', 'connector_inbox_events', { status: 'synced' })).toBe(0);
  });
});
