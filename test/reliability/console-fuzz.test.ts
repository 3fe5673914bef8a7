import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_API_ROUTES } from '../../src/console/console-routes.js';
import { chinaMobile, voicefoxEvent, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, REPO_DIR, startTestApp, VOICEFOX_SECRET, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/**
 * Arbitrary query strings, path ids and JSON bodies against every route of the console's API and the `/admin`
 * endpoints, with a signed-in admin session: never a 5xx, never an unhandled error. Text comes from the whole of
 * Unicode (NUL, lone surrogates, any plane; in a URL as its UTF-8, where a lone surrogate becomes U+FFFD, or as bytes
 * that are no UTF-8) and numbers from the whole double range, since those are what a store may refuse as an error
 * (PostgreSQL's text holds no NUL, its integer ids are 32-bit) instead of matching nothing.
 */
const ADMIN_TOKEN = 'console-fuzz-admin-token-0123456789';
const SHIPPED = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
let t: TestApp;
let cookie = '';
let csrf = '';

beforeAll(async () => {
  // No guessing limit: the sign-in route is fuzzed too, and past the limit it would answer 429 unread.
  t = await startTestApp({ env: { ADMIN_TOKEN, AUTH_FAILURES_PER_MINUTE: '0' } });
  await postJson(
    `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
    yunfuBatch([1, 2].map((index) => yunfuCall({ callid: `fuzz-${index}`, number: chinaMobile(700 + index) }))),
  );
  await postJson(`${t.url}/webhooks/voicefox`, voicefoxEvent('callin-collect', 'vf-fuzz', '17534989887'), {
    authorization: `Bearer ${VOICEFOX_SECRET}`,
  });
  await t.settled();
  const signedIn = await fetch(`${t.url}/console/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: ADMIN_TOKEN }),
  });
  expect(signedIn.status).toBe(200);
  cookie = signedIn.headers.getSetCookie()[0]!.split(';')[0]!;
  csrf = ((await signedIn.json()) as { csrfToken: string }).csrfToken;
});
afterAll(async () => {
  await t?.close();
});

const text = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom('\u0000', 'a\u0000', '\ud800', '175\u00009887', '%', '_', "'", '"', '\\') },
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER, 99_999_999_999, 1e300),
);
/** The names the console's routes read, and some they do not. */
const queryName = fc.constantFrom('limit', 'before', 'q', 'vendor', 'status', 'from', 'to', 'phone', 'id', 'x');
/** Bytes percent-encoded as they are: UTF-8 of any text, or bytes that are no UTF-8 at all (`%FF`, `%ED%A0%80`). */
const percentEncoded = (bytes: Uint8Array): string =>
  [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
const urlPart = fc.oneof(
  fc.oneof(text, number.map(String)).map((value) => percentEncoded(Buffer.from(value))),
  fc.uint8Array({ maxLength: 12 }).map(percentEncoded),
);
/** A value some route takes as it is, so that a request refused for one field still reaches the others. */
const fitting = fc.constantFrom('10', '1', 'synced', 'dead', '2026-01-01T00:00:00Z', 'yunfu', '%2B8617534989887');
const query = fc
  .array(fc.tuple(queryName, fc.oneof(urlPart, fitting)), { maxLength: 3 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([name, value]) => `${name}=${value}`).join('&')}`));
const jsonValue = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });
const mappingText = fc.oneof(
  text,
  // The shipped mapping with one line replaced: mostly refused, sometimes a good edit (saved, which is fine).
  fc.tuple(fc.nat(), text).map(([index, line]) => {
    const lines = SHIPPED.split('\n');
    lines[index % lines.length] = line;
    return lines.join('\n');
  }),
);
/** The fields the console's POST routes read, each with a value of any JSON type or a fitting one. */
const bodyField = fc.oneof(
  fc.tuple(fc.constant('text'), fc.oneof(mappingText, jsonValue)),
  fc.tuple(fc.constant('baseDigest'), fc.oneof(text, jsonValue)),
  fc.tuple(fc.constant('eventId'), fc.oneof(number, jsonValue)),
  fc.tuple(fc.constant('vendor'), fc.oneof(fc.constantFrom('voicefox', 'yunfu', 'retell'), text)),
  fc.tuple(fc.constant('payload'), jsonValue),
  fc.tuple(fc.constant('ids'), fc.oneof(fc.array(number, { maxLength: 5 }), jsonValue)),
  fc.tuple(fc.constant('reason'), fc.oneof(text, jsonValue)),
  fc.tuple(fc.constant('token'), fc.oneof(text, jsonValue)),
  fc.tuple(fc.constant('code'), fc.oneof(text, jsonValue)),
);
const body = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(bodyField, { maxLength: 4 }).map((fields) => JSON.stringify(Object.fromEntries(fields))),
  },
  { weight: 1, arbitrary: jsonValue.map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: text },
);
/** Every console route but sign-out (it would end the session the rest is sent with), and the /admin endpoints. */
const routes = [
  ...CONSOLE_API_ROUTES.filter((route) => route.access !== 'sign-out').map((route) => ({
    method: route.method,
    path: `/console/api/${route.path}`,
  })),
  { method: 'POST' as const, path: '/admin/mapping/preview' },
  { method: 'POST' as const, path: '/admin/mapping/reload' },
];
const request = fc.record({
  // The routes that read a query string (and search stored text with it) are drawn more often.
  route: fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...routes) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...routes.filter((route) => /deliveries$|audit$|timeline$/.test(route.path))),
    },
  ),
  id: urlPart,
  query,
  body,
});

describe('fuzzed console and admin requests', () => {
  it(
    'never answer 5xx or raise an unhandled error, on any route, with any query, id or body',
    { timeout: 240_000 },
    async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(request, async ({ route, id, query: search, body: sent }) => {
          const path = route.path.replace(':id', id);
          const response = await fetch(`${t.url}${path}${search}`, {
            method: route.method,
            headers: {
              cookie,
              'x-csrf-token': csrf,
              authorization: `Bearer ${ADMIN_TOKEN}`,
              ...(route.method === 'POST' ? { 'content-type': 'application/json' } : {}),
            },
            ...(route.method === 'POST' ? { body: sent } : {}),
          });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          expect(response.status, `${route.method} ${path}${search}`).toBeLessThan(500);
        }),
        { numRuns: 2_000, seed: 20261201 },
      );
      process.stdout.write(
        `[reliability] console fuzz: 2,000 requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}\n`,
      );
      expect(t.logs.filter((line) => line['msg'] === 'unhandled error while serving a request')).toEqual([]);
      // Every status class a client can cause was reached: the requests were read, not all refused at the door.
      expect([...statuses.keys()].some((status) => status >= 200 && status < 300)).toBe(true);
      expect([...statuses.keys()].some((status) => status >= 400 && status < 500)).toBe(true);
      expect((await fetch(`${t.url}/health/live`)).status).toBe(200);
    },
  );
});
