import { afterEach, describe, expect, it } from 'vitest';
import { chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, startTestApp, waitFor, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

const postAll = async (app: TestApp, calls: Array<Record<string, unknown>>, perPost = 20): Promise<void> => {
  for (let index = 0; index < calls.length; index += perPost) {
    expect(
      (await postJson(`${app.url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch(calls.slice(index, index + perPost))))
        .status,
    ).toBe(200);
  }
};
const health = async (app: TestApp) =>
  ((await (await fetch(`${app.url}/health/ready`)).json()) as { details: { hubspot: { state: string } } }).details
    .hubspot.state;

describe('HubSpot misbehaving', () => {
  it(
    'outage: 503s, then no answer past the client time-out; nothing dead-lettered, all synced after recovery, drained at the rate limit',
    { timeout: 120_000 },
    async () => {
      t = await startTestApp({
        env: { HUBSPOT_REQUEST_TIMEOUT_MS: '400', HUBSPOT_MAX_ATTEMPTS: '3', HUBSPOT_RETRY_BASE_MS: '100' },
      });
      t.emulator.setLimits({ burstPer10s: 30 });
      const outageStart = Date.now();
      t.emulator.setFaults({ mode: 'status', status: 503, until: outageStart + 2_500 });
      const calls = Array.from({ length: 200 }, (_, index) =>
        yunfuCall({ callid: `outage-${index}`, number: chinaMobile(3000 + (index % 150)) }),
      );
      await postAll(t, calls);
      await expect.poll(() => health(t!), { timeout: 5_000 }).toBe('unavailable');
      await waitFor(() => Date.now() >= outageStart + 2_500, 5_000);
      t.emulator.setFaults({ mode: 'hang', until: Date.now() + 3_000 });
      await waitFor(() => Date.now() >= outageStart + 5_500, 10_000);
      const recovered = Date.now();
      const requestsBefore = t.emulator.counters.total;
      await t.settled(90_000);
      const drained = (Date.now() - recovered) / 1000;
      const counts = await t.inbox.countByStatus();
      const requests = t.emulator.counters.total - requestsBefore;
      process.stdout.write(
        `[reliability] outage 2.5 s of 503 + 3 s of no answer: ${counts.synced} synced, ${counts.dead} dead; after recovery ${requests} requests in ${drained.toFixed(1)} s ` +
          `at a limit of 30 / 10 s, ${t.emulator.counters.rateLimited.total} answered 429, ${t.emulator.counters.faultsApplied} faults applied\n`,
      );
      expect(counts).toMatchObject({ synced: 200, dead: 0 });
      expect(new Set(t.emulator.listObjects('calls').map((call) => call.properties['ai_call_key'])).size).toBe(200);
      expect(t.emulator.listObjects('calls')).toHaveLength(200);
      expect(t.emulator.counters.rateLimited.total).toBe(0);
      expect(await health(t)).toBe('ok');
    },
  );

  it(
    'rate-limit storm: burst and search limits at a tenth (or less) of normal; no record fails, few 429s',
    { timeout: 150_000 },
    async () => {
      t = await startTestApp({ env: { WORKER_BATCH_SIZE: '25' } });
      t.emulator.setLimits({ burstPer10s: 10, searchPerSecond: 1 });
      const calls = Array.from({ length: 300 }, (_, index) =>
        yunfuCall({ callid: `storm-${index}`, number: chinaMobile(4000 + (index % 250)), intention: (index % 6) + 1 }),
      );
      const started = Date.now();
      await postAll(t, calls);
      await t.settled(140_000);
      const counts = await t.inbox.countByStatus();
      const limited = t.emulator.counters.rateLimited;
      process.stdout.write(
        `[reliability] rate-limit storm (10 / 10 s, search 1 / s): ${counts.synced} synced, ${counts.dead} dead, ${t.emulator.counters.total} requests, ` +
          `429s: ${limited.TEN_SECONDLY_ROLLING} burst, ${limited.SECONDLY} search, drained in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      expect(counts).toMatchObject({ synced: 300, dead: 0 });
      expect(t.emulator.listObjects('calls')).toHaveLength(300);
      expect(limited.total).toBeLessThanOrEqual(5);
    },
  );

  it(
    'vendor retries: each of 200 calls delivered 3 times, some concurrently, some after sync, gives 200 calls',
    { timeout: 60_000 },
    async () => {
      t = await startTestApp();
      const calls = Array.from({ length: 200 }, (_, index) =>
        yunfuCall({ callid: `retry-${index}`, number: chinaMobile(5000 + (index % 120)) }),
      );
      const batches = Array.from({ length: 20 }, (_, index) => yunfuBatch(calls.slice(index * 10, index * 10 + 10)));
      // Two deliveries of every batch at once...
      await Promise.all(
        batches.flatMap((batch) => [
          postJson(`${t!.url}/webhooks/yunfu/${YUNFU_SECRET}`, batch),
          postJson(`${t!.url}/webhooks/yunfu/${YUNFU_SECRET}`, batch),
        ]),
      );
      await t.settled();
      // ...and a third after sync, each call on its own.
      const third = await Promise.all(
        calls.map((call) => postJson(`${t!.url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch([call]))),
      );
      expect(third.every((response) => response.status === 200 && response.body['duplicates'] === 1)).toBe(true);
      await t.settled();
      const keys = t.emulator.listObjects('calls').map((call) => call.properties['ai_call_key']);
      process.stdout.write(
        `[reliability] vendor retries: 600 deliveries of 200 calls: ${(await t.inbox.list()).length} inbox events, ${keys.length} calls in HubSpot\n`,
      );
      expect(keys).toHaveLength(200);
      expect(new Set(keys).size).toBe(200);
    },
  );
});
