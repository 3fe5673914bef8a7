import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadValidationError } from '../../src/common/payload-validation.js';
import { VoiceFoxMapper } from '../../src/vendors/voicefox/voicefox.mapper.js';
import { YunfuMapper } from '../../src/vendors/yunfu/yunfu.mapper.js';
import { DEFAULT_ANALYSIS_KEYS } from '../../src/vendors/vendor-mapper.js';
import { fixture } from '../support/fixtures.js';
import { startTestApp, VOICEFOX_SECRET, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/**
 * Keys that name `Object.prototype`'s machinery (`constructor`, `__proto__`, `prototype`), with every kind of value,
 * at every nesting level of each vendor's payload: the connector answers 2xx or 4xx, never 5xx, and its mappers
 * (what the worker runs on a stored event) either map the event or refuse it with a payload error.
 */
let t: TestApp;
beforeAll(async () => {
  // Ingest only: this is about what a client can send; the mappers are run on each payload below.
  t = await startTestApp({ env: { SYNC_ENABLED: 'false' } });
});
afterAll(async () => {
  await t.close();
});

function send(path: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, t.url);
    const payload = Buffer.from(body);
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every object node of a JSON value, as paths of keys and indexes (the root is `[]`). */
function objectPaths(value: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return value.flatMap((item, index) => objectPaths(item, [...path, index]));
  if (value === null || typeof value !== 'object') return [];
  return [path, ...Object.entries(value).flatMap(([key, item]) => objectPaths(item, [...path, key]))];
}

/** A copy of `value` with `key` set to `inserted` on the object at `path`, as an own key (`__proto__` included). */
function withKey(value: Json, path: Array<string | number>, key: string, inserted: Json): Json {
  const copy = JSON.parse(JSON.stringify(value)) as Json;
  let node = copy as Record<string | number, Json>;
  for (const segment of path) node = node[segment] as Record<string | number, Json>;
  Object.defineProperty(node, key, { value: inserted, enumerable: true, writable: true, configurable: true });
  return copy;
}

// Bases with free-form objects at several depths: VoiceFox's `extra` (a customer's task variables), Yunfu's items.
const voicefox = fixture<Json>('voicefox', 'callin-collect') as {
  event_name: string;
  event_data: Record<string, Json>;
};
const voicefoxBase: Json = {
  ...voicefox,
  event_data: { ...voicefox.event_data, extra: { name: '李伟', vars: { level: { deep: [{ x: 1 }] } } } },
};
const yunfuBase = fixture<Json>('yunfu', 'batch-3');
const bases = [
  {
    vendor: 'voicefox',
    body: voicefoxBase,
    path: '/webhooks/voicefox',
    headers: { authorization: `Bearer ${VOICEFOX_SECRET}` },
  },
  { vendor: 'yunfu', body: yunfuBase, path: `/webhooks/yunfu/${YUNFU_SECRET}`, headers: {} },
] as const;

const trapKey = fc.constantFrom('constructor', '__proto__', 'prototype');
const trapValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant<Json>({}),
  fc.constant<Json>({ a: 1, constructor: { prototype: 'x' } }),
  fc.constant<Json>([]),
  fc.constant<Json>([1, { constructor: 2 }]),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);
const cases = fc
  .tuple(fc.nat(bases.length - 1), fc.nat(), trapKey, trapValue, fc.nat(1_000_000))
  .map(([baseIndex, pathIndex, key, value, salt]) => {
    const base = bases[baseIndex]!;
    const paths = objectPaths(base.body);
    const path = paths[pathIndex % paths.length]!;
    // A salt keeps deliveries distinct, so that each one is really validated and stored, not taken for a repeat.
    const salted = withKey(base.body, [], 'fuzz_salt', salt);
    return { base, path, key, body: withKey(salted, path, key, value) };
  });

const mappers = { voicefox: new VoiceFoxMapper(), yunfu: new YunfuMapper() };
const context = {
  timeZone: 'Asia/Shanghai',
  defaultRegion: 'CN',
  intentionLabels: {},
  analysisKeys: DEFAULT_ANALYSIS_KEYS,
  now: () => new Date('2026-11-30T00:00:00Z'),
};

describe('prototype-named keys anywhere in a payload', () => {
  it(
    'never answer 5xx (10,000 generated payloads), and never make a mapper throw anything but a payload error',
    { timeout: 240_000 },
    async () => {
      const statuses = new Map<number, number>();
      let mapped = 0;
      await fc.assert(
        fc.asyncProperty(cases, async ({ base, body }) => {
          const status = await send(base.path, JSON.stringify(body), base.headers);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          expect(status).toBeLessThan(500);
          const events = base.vendor === 'yunfu' ? ((body as { data?: Json[] }).data ?? []) : [body];
          for (const payload of Array.isArray(events) ? events : []) {
            try {
              mappers[base.vendor].map(
                { eventName: base.vendor === 'yunfu' ? 'call.success' : voicefox.event_name, payload },
                context,
              );
              mapped++;
            } catch (error) {
              expect(error).toBeInstanceOf(PayloadValidationError);
            }
          }
        }),
        { numRuns: 10_000, seed: 20261130 },
      );
      process.stdout.write(
        `[reliability] prototype-named keys: 10,000 payloads, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${mapped} events mapped\n`,
      );
      expect([...statuses.keys()].every((status) => status < 500)).toBe(true);
      expect(statuses.get(200) ?? 0).toBeGreaterThan(5_000);
      expect(t.logs.filter((line) => line['msg'] === 'unhandled error while serving a request')).toEqual([]);
    },
  );
});
