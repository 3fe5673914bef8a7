import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureText } from '../support/fixtures.js';
import { startTestApp, VOICEFOX_SECRET, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/**
 * Thousands of malformed, truncated, oversized, deeply nested and wrongly typed payloads against both endpoints:
 * never a 5xx, never a crash, nothing stored for a refused request, memory bounded.
 */
let t: TestApp;
const LIMIT = 64 * 1024;

beforeAll(async () => {
  // No secret-guessing limit: one target sends a wrong secret, and past the limit every request from this address
  // would be answered 429 before its body is read (the limit has its own test in clients.test.ts).
  t = await startTestApp({ env: { WEBHOOK_MAX_BODY_BYTES: String(LIMIT), AUTH_FAILURES_PER_MINUTE: '0' } });
});
afterAll(async () => {
  await t.close();
});

function send(path: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, t.url);
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const anyJson = fc.jsonValue({ maxDepth: 5 });
const scalarOrJunk = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), anyJson);
const voicefoxShaped = fc.record(
  {
    event_name: fc.oneof(
      fc.constantFrom('callin.collect', 'task.call.collect', 'callin.hangup', 'callin.transfer', 'task.end'),
      scalarOrJunk,
    ),
    event_data: fc.oneof(
      anyJson,
      fc.record(
        {
          session_id: scalarOrJunk,
          caller: scalarOrJunk,
          callee: scalarOrJunk,
          start_at: scalarOrJunk,
          answer_at: scalarOrJunk,
          duration: scalarOrJunk,
          billsec: scalarOrJunk,
          direction: scalarOrJunk,
          record_url: scalarOrJunk,
          collect_targets: fc.oneof(
            fc.array(fc.oneof(anyJson, fc.record({ question: scalarOrJunk, hit: scalarOrJunk, result: scalarOrJunk }))),
            scalarOrJunk,
          ),
          conversation_analysis: fc.oneof(
            fc.array(fc.oneof(anyJson, fc.record({ title: scalarOrJunk, result: scalarOrJunk }))),
            scalarOrJunk,
          ),
          extra: scalarOrJunk,
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const yunfuItem = fc.record(
  {
    callid: scalarOrJunk,
    calldate: scalarOrJunk,
    bill: scalarOrJunk,
    intention_results: scalarOrJunk,
    number_data: fc.oneof(
      fc.record({ number: scalarOrJunk, hangupdate: scalarOrJunk, city: scalarOrJunk }, { requiredKeys: [] }),
      scalarOrJunk,
    ),
    tags: fc.oneof(fc.array(fc.oneof(anyJson, fc.record({ name: scalarOrJunk }))), scalarOrJunk),
    customer_data: fc.oneof(fc.record({ name: scalarOrJunk, email: scalarOrJunk }), scalarOrJunk),
    voice_url: scalarOrJunk,
  },
  { requiredKeys: [] },
);
const yunfuShaped = fc.record(
  { count: scalarOrJunk, data: fc.oneof(fc.array(fc.oneof(yunfuItem, anyJson), { maxLength: 8 }), scalarOrJunk) },
  { requiredKeys: [] },
);

const seeds = [fixtureText('voicefox', 'callin-collect'), fixtureText('yunfu', 'batch-3')];
const bodies = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .oneof(voicefoxShaped, yunfuShaped, anyJson)
      .map((value) => Buffer.from(JSON.stringify(value) ?? 'null')),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...seeds), fc.nat())
      .map(([text, cut]) => Buffer.from(text.slice(0, cut % text.length))),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 20, max: 20_000 })
      .map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 20, max: 5_000 })
      .map((depth) => Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: LIMIT - 100, max: LIMIT * 3 })
      .map((size) =>
        Buffer.from(
          JSON.stringify({ event_name: 'callin.collect', event_data: { session_id: 's', pad: 'x'.repeat(size) } }),
        ),
      ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)) },
);
const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  '',
);
const targets = fc.constantFrom<{ path: string; headers: Record<string, string> }>(
  { path: '/webhooks/voicefox', headers: { authorization: `Bearer ${VOICEFOX_SECRET}` } },
  { path: `/webhooks/yunfu/${YUNFU_SECRET}`, headers: {} },
  { path: '/webhooks/yunfu', headers: { 'x-webhook-secret': YUNFU_SECRET } },
  { path: '/webhooks/voicefox', headers: { authorization: 'Bearer wrong-secret-wrong-secret' } },
);

describe('fuzzed bad input', () => {
  it(
    'never answers 5xx, never crashes, stores nothing for a refused request, keeps memory bounded',
    { timeout: 180_000 },
    async () => {
      const statuses = new Map<number, number>();
      const rssBefore = process.memoryUsage().rss;
      let refusedWithRows = 0;
      await fc.assert(
        fc.asyncProperty(targets, bodies, contentTypes, async (target, body, contentType) => {
          const before = (await t.inbox.list()).length;
          const status = await send(target.path, body, {
            ...target.headers,
            ...(contentType ? { 'content-type': contentType } : {}),
          });
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          expect(status).toBeLessThan(500);
          if (status !== 200 && (await t.inbox.list()).length !== before) refusedWithRows++;
        }),
        { numRuns: 2_500, seed: 20261121 },
      );
      // What was stored is processed without the worker stumbling: every event ends in a final state.
      await t.settled(60_000);
      const counts = await t.inbox.countByStatus();
      const rssGrowth = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
      process.stdout.write(
        `[reliability] fuzz: 2,500 requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}; inbox ${JSON.stringify(counts)}; ` +
          `rss growth ${rssGrowth.toFixed(0)} MiB\n`,
      );
      expect(refusedWithRows).toBe(0);
      expect(counts.processing + counts.pending).toBe(0);
      expect(t.logs.filter((line) => line['msg'] === 'unhandled error while serving a request')).toEqual([]);
      expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
      expect(rssGrowth).toBeLessThan(300);
    },
  );
});
