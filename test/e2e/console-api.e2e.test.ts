import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logStartupSummary } from '../../src/app.factory.js';
import { APP_ENV } from '../../src/config/config.tokens.js';
import type { AppEnv } from '../../src/config/env.schema.js';
import { CONSOLE_API_ROUTES } from '../../src/console/console-routes.js';
import { CONSOLE_CSP } from '../../src/console/console-security.js';
import { AppLogger } from '../../src/logging/app-logger.js';
import type { StoreDb } from '../../src/store/database.js';
import { STORE_DB } from '../../src/store/inbox.repository.js';
import { fixture } from '../support/fixtures.js';
import { send } from '../support/http-client.js';
import { chinaMobile, e164Of, voicefoxEvent, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import {
  postJson,
  REPO_DIR,
  startTestApp,
  VOICEFOX_SECRET,
  waitFor,
  YUNFU_SECRET,
  type TestApp,
} from '../support/test-app.js';

const ADMIN_TOKEN = 'console-admin-token-0123456789';
const VIEWER_TOKEN = 'console-viewer-token-0123456789';
const SHIPPED = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
const withTitle = (title: string) => SHIPPED.replace(/^ {2}title: .*$/m, `  title: ${JSON.stringify(title)}`);

/** The shapes of the answers the tests read (the contract's, as far as they look). */
interface OverviewAnswer {
  portalId: string | null;
  sync: { instance: string; leader: string | null };
  mapping: { version: number | null };
  syncedPerHour: Array<{ hour: string; calls: number }>;
  hubspotRequests: { total: number };
}
interface DeliveryListAnswer {
  items: Array<{ id: number; vendor: string; vendorCallIds: string[] }>;
  nextBefore: number | null;
}
interface DeliveryAnswer {
  payload: { event_data: { caller: string } };
  records: Array<{ customer: { phone: { e164: string } } }>;
  hubspot: { contactId: string; callId: string; contactUrl: string; callUrl: string };
}
interface TimelineAnswer {
  contact: { id: string; url: string | null };
  calls: Array<{ title: string; url: string | null }>;
}
interface PreviewAnswer {
  calls: Array<{ call: { properties: Record<string, string> } }>;
}
interface PreviewsAnswer {
  problems: unknown[];
  proposed: PreviewAnswer | null;
  inForce: PreviewAnswer;
}

const apps: TestApp[] = [];
const dirs: string[] = [];
/** Every JSON body a console route answered in this file: none may hold a secret (checked at the end of each test). */
let answered: string[] = [];
let secrets: string[] = [];

afterEach(async () => {
  for (const body of answered)
    for (const secret of secrets) expect(body, 'a console answer holds a secret').not.toContain(secret);
  answered = [];
  secrets = [];
  for (const app of apps.splice(0)) await app.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string | undefined> = {}, mappingYaml?: string): Promise<TestApp> {
  const app = await startTestApp({
    env: { ADMIN_TOKEN, CONSOLE_VIEWER_TOKEN: VIEWER_TOKEN, ...env },
    ...(mappingYaml !== undefined ? { mappingYaml } : {}),
  });
  apps.push(app);
  const appEnv = app.app.get<AppEnv>(APP_ENV);
  secrets.push(
    ...[appEnv.adminToken, appEnv.console.viewerToken, ...Object.values(appEnv.webhookSecrets)].filter(
      (value): value is string => value !== null,
    ),
  );
  return app;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

interface Session {
  cookie: string;
  csrf: string;
  setCookie: string;
  body: Record<string, unknown>;
}

/** A request to the console's API, with a session's cookie (and its CSRF token on a POST) unless told otherwise. */
async function api(
  app: TestApp,
  method: 'GET' | 'POST',
  path: string,
  options: { session?: Session | null; body?: unknown; headers?: Record<string, string>; csrf?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
  };
  if (options.session) {
    headers['cookie'] = options.session.cookie;
    if (method === 'POST' && options.csrf !== false) headers['x-csrf-token'] = options.session.csrf;
  }
  const response = await fetch(`${app.url}/console/api/${path}`, {
    method,
    headers: { ...headers, ...options.headers },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  answered.push(text);
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: response.headers,
  };
}

async function signIn(app: TestApp, token = ADMIN_TOKEN, headers: Record<string, string> = {}): Promise<Session> {
  const answer = await api(app, 'POST', 'session', { body: { token }, headers });
  expect(answer.status).toBe(200);
  const setCookie = answer.headers.getSetCookie().find((cookie) => cookie.startsWith('console_session='))!;
  return {
    cookie: setCookie.split(';')[0]!,
    csrf: answer.body['csrfToken'] as string,
    setCookie,
    body: answer.body,
  };
}

const postYunfu = (app: TestApp, body: unknown) => postJson(`${app.url}/webhooks/yunfu/${YUNFU_SECRET}`, body);
const postVoiceFox = (app: TestApp, body: unknown) =>
  postJson(`${app.url}/webhooks/voicefox`, body, { authorization: `Bearer ${VOICEFOX_SECRET}` });
const auditActions = async (app: TestApp, session: Session) =>
  (await api(app, 'GET', 'audit?limit=200', { session })).body['items'] as Array<{
    actor: string;
    action: string;
    detail: Record<string, unknown>;
  }>;
const db = (app: TestApp) => app.app.get<StoreDb>(STORE_DB);

describe('console sign-in and sessions', () => {
  it('refuses every API route without a session (401), each one in the list the controller declares its routes from', async () => {
    const app = await start();
    const guarded = CONSOLE_API_ROUTES.filter((route) => route.access !== 'sign-in');
    expect(guarded.length).toBeGreaterThanOrEqual(15);
    for (const route of guarded) {
      const path = route.path.replace(':id', '1');
      const answer = await api(app, route.method, path, route.method === 'POST' ? { body: {} } : {});
      expect(answer.status, `${route.method} ${route.path}`).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'unauthorized' } });
      expect(answer.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    // A cookie that names no session is no better.
    const forged = await api(app, 'GET', 'overview', {
      headers: { cookie: 'console_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    expect(forged.status).toBe(401);
  });

  it('signs in with ADMIN_TOKEN or CONSOLE_VIEWER_TOKEN, refuses a wrong one (401), and answers 429 with Retry-After after repeated failures', async () => {
    const app = await start({ AUTH_FAILURES_PER_MINUTE: '3' });
    const admin = await signIn(app);
    expect(admin.body).toMatchObject({ kind: 'admin', sandbox: false });
    expect(typeof admin.body['csrfToken']).toBe('string');
    const viewer = await signIn(app, VIEWER_TOKEN);
    expect(viewer.body).toMatchObject({ kind: 'viewer' });
    expect((await api(app, 'GET', 'session', { session: viewer })).body).toMatchObject({ kind: 'viewer' });

    const wrong = await api(app, 'POST', 'session', { body: { token: 'not-the-token-0123456789' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: { code: 'unauthorized' } });
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect((await api(app, 'POST', 'session', { body: {} })).status).toBe(401);
    // The address signed in with a right token a moment ago: its wrong tokens over the limit get 429, not 401.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++)
      statuses.push(
        (await api(app, 'POST', 'session', { body: { token: `guess-${attempt}-0123456789abcdef` } })).status,
      );
    expect(statuses).toContain(429);
    const throttled = await api(app, 'POST', 'session', { body: { token: 'another-guess-0123456789' } });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);

    // Each 401 is in the audit log with its reason, and nothing of the token; the 429s (refused unread) are not.
    const refusals = (await auditActions(app, admin)).filter((entry) => entry.action === 'session.sign-in-refused');
    const wrongAnswers = 1 + statuses.filter((status) => status === 401).length;
    expect(refusals.map((entry) => `${entry.actor} ${String(entry.detail['reason'])}`).sort()).toEqual(
      [...Array.from({ length: wrongAnswers }, () => 'unknown wrong token'), 'unknown missing token'].sort(),
    );
    expect(JSON.stringify(refusals)).not.toMatch(/guess|not-the-token/);
  });

  it('sets the cookie HttpOnly, SameSite=Strict, Path=/console, Secure only over HTTPS (a trusted proxy saying so)', async () => {
    const app = await start({ TRUST_PROXY: '1' });
    const plain = await signIn(app);
    expect(plain.setCookie).toMatch(/^console_session=[A-Za-z0-9_-]{43}; /);
    const flags = plain.setCookie.split('; ').slice(1);
    expect(flags).toEqual(expect.arrayContaining(['Path=/console', 'HttpOnly', 'SameSite=Strict']));
    expect(flags).not.toContain('Secure');
    const maxAge = Number(flags.find((flag) => flag.startsWith('Max-Age='))!.slice(8));
    expect(maxAge).toBeGreaterThan(8 * 3600 - 60);
    expect(maxAge).toBeLessThanOrEqual(8 * 3600);
    const overHttps = await signIn(app, ADMIN_TOKEN, { 'x-forwarded-proto': 'https' });
    expect(overHttps.setCookie.split('; ')).toContain('Secure');
    // The session's secret is in the cookie only: the answer has the CSRF token, which is another value.
    expect(JSON.stringify(plain.body)).not.toContain(plain.cookie.split('=')[1]);
  });

  it('refuses cross-site POSTs: no CSRF token, a wrong one, a foreign Origin, Sec-Fetch-Site: cross-site (403 csrf)', async () => {
    const app = await start();
    const session = await signIn(app);
    const check = (headers: Record<string, string>, csrf = true) =>
      api(app, 'POST', 'mapping/check', { session, body: { text: SHIPPED }, headers, csrf });
    expect((await check({}, false)).body).toMatchObject({ error: { code: 'csrf' } });
    expect((await check({}, false)).status).toBe(403);
    expect((await check({ 'x-csrf-token': 'wrong-token' }, false)).status).toBe(403);
    const evil = await check({ origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body).toMatchObject({ error: { code: 'csrf' } });
    expect((await check({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // The sign-in itself is refused from another site too.
    expect(
      (await api(app, 'POST', 'session', { body: { token: ADMIN_TOKEN }, headers: { origin: 'https://evil.example' } }))
        .status,
    ).toBe(403);
    // Its own origin, or same-origin fetch metadata, with the token: accepted.
    expect((await check({ origin: app.url, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await check({})).status).toBe(200);
  });

  it('ends a session at sign-out, past its end, and after its idle time; a new sign-in opens a new one', async () => {
    const app = await start();
    const first = await signIn(app);
    const out = await api(app, 'POST', 'session/sign-out', { session: first });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()[0]).toMatch(
      /^console_session=; Path=\/console; Max-Age=0; HttpOnly; SameSite=Strict/,
    );
    expect((await api(app, 'GET', 'session', { session: first })).status).toBe(401);

    const expired = await signIn(app);
    await db(app)
      .updateTable('console_sessions')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .execute();
    expect((await api(app, 'GET', 'overview', { session: expired })).status).toBe(401);
    // The ended session is gone from the store.
    expect(await db(app).selectFrom('console_sessions').selectAll().execute()).toEqual([]);

    const idle = await signIn(app);
    await db(app)
      .updateTable('console_sessions')
      .set({ last_seen_at: new Date(Date.now() - 61 * 60_000).toISOString() })
      .execute();
    expect((await api(app, 'GET', 'overview', { session: idle })).status).toBe(401);

    // The store keeps the secret's hash, never the secret.
    const fresh = await signIn(app);
    const secret = fresh.cookie.split('=')[1]!;
    const rows = await db(app).selectFrom('console_sessions').selectAll().execute();
    expect(rows.map((row) => row.id)).toEqual([createHash('sha256').update(secret).digest('hex')]);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('answers 404 console_closed while no token is set, and says at start how to open it', async () => {
    const app = await start({ ADMIN_TOKEN: undefined, CONSOLE_VIEWER_TOKEN: undefined });
    const closed = await api(app, 'POST', 'session', { body: { token: 'anything-0123456789abcdef' } });
    expect(closed.status).toBe(404);
    expect(closed.body).toMatchObject({ error: { code: 'console_closed' } });
    expect((await api(app, 'GET', 'overview')).body).toMatchObject({ error: { code: 'console_closed' } });
    logStartupSummary(app.app, app.app.get(AppLogger), app.url, () => undefined);
    expect(app.logs.some((line) => String(line['msg']).includes('is closed: set ADMIN_TOKEN'))).toBe(true);
  });
});

describe('console reads and actions', () => {
  it('lets a viewer read but not replay, save or send samples (403), and records every admin action in the audit log', async () => {
    const app = await start();
    const admin = await signIn(app);
    const viewer = await signIn(app, VIEWER_TOKEN);
    for (const path of ['overview', 'deliveries', 'dead-letters', 'mapping', 'audit'])
      expect((await api(app, 'GET', path, { session: viewer })).status, path).toBe(200);
    expect((await api(app, 'POST', 'mapping/check', { session: viewer, body: { text: SHIPPED } })).status).toBe(200);
    for (const [path, body] of [
      ['replay', { ids: [1] }],
      ['mapping', { text: SHIPPED, baseDigest: null }],
      ['mapping/reload', {}],
      ['samples', {}],
    ] as const) {
      const refused = await api(app, 'POST', path, { session: viewer, body });
      expect(refused.status, path).toBe(403);
      expect(refused.body).toMatchObject({ error: { code: 'forbidden' } });
    }

    expect((await api(app, 'POST', 'replay', { session: admin, body: { ids: [12345] } })).body).toEqual({
      queued: 0,
      ids: [],
    });
    expect((await api(app, 'POST', 'mapping/reload', { session: admin, body: {} })).body).toMatchObject({ ok: true });
    // The same action through the /admin API, with the bearer token: in the same log.
    const adminApi = await fetch(`${app.url}/admin/mapping/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(adminApi.status).toBe(200);
    expect((await api(app, 'POST', 'session/sign-out', { session: viewer })).status).toBe(204);
    const entries = await auditActions(app, admin);
    expect(entries.map((entry) => `${entry.actor} ${entry.action}`).reverse()).toEqual([
      'admin session.sign-in',
      'viewer session.sign-in',
      'admin replay',
      'admin mapping.reload',
      'admin-api mapping.reload',
      'viewer session.sign-out',
    ]);
    expect(entries.find((entry) => entry.actor === 'admin-api')!.detail).toMatchObject({ ok: true, problems: 0 });
    expect(entries.find((entry) => entry.action === 'replay')!.detail).toEqual({ by: 'ids', queued: 0, ids: [] });

    // Paged newest first: `nextBefore` is the cursor of the next (older) page, null on the last.
    type AuditPage = { items: Array<{ id: number; action: string }>; nextBefore: number | null };
    const page = async (query: string) => (await api(app, 'GET', `audit?${query}`, { session: admin })).body;
    const everything = (await page('limit=200')) as unknown as AuditPage;
    expect(everything.items).toHaveLength(6);
    expect(everything.nextBefore).toBeNull();
    const newer = (await page('limit=4')) as unknown as AuditPage;
    expect(newer.items).toEqual(everything.items.slice(0, 4));
    expect(newer.nextBefore).toBe(everything.items[3]!.id);
    const older = (await page(`limit=4&before=${newer.nextBefore!}`)) as unknown as AuditPage;
    expect(older).toEqual({ items: everything.items.slice(4), nextBefore: null });
    // A last page that is full answers no cursor (there is no empty page after it).
    expect(((await page('limit=6')) as unknown as AuditPage).nextBefore).toBeNull();
    const lastFull = (await page(`limit=2&before=${everything.items[3]!.id}`)) as unknown as AuditPage;
    expect(lastFull).toEqual({ items: everything.items.slice(4), nextBefore: null });
    // A cursor past every id a row can have (PostgreSQL's ids are 32-bit) reads from the newest, not a 500.
    expect(((await page('limit=200&before=99999999999')) as unknown as AuditPage).items).toEqual(everything.items);
    for (const query of ['limit=0', 'limit=201', 'limit=ten', 'before=-1', 'before=1.5', 'limit=2&limit=3']) {
      const refused = await api(app, 'GET', `audit?${query}`, { session: admin });
      expect(refused.status, query).toBe(400);
      expect(refused.body, query).toMatchObject({ error: { code: 'invalid_request' } });
    }
  });

  it('shows the overview from the sources health and metrics read, with 24 hours of synced calls', async () => {
    const app = await start();
    await postYunfu(
      app,
      yunfuBatch([
        yunfuCall({ callid: 'ov-1', number: chinaMobile(41) }),
        yunfuCall({ callid: 'ov-2', number: chinaMobile(42) }),
      ]),
    );
    await app.settled();
    const session = await signIn(app);
    const overview = (await api(app, 'GET', 'overview', { session })).body as unknown as OverviewAnswer;
    expect(overview).toMatchObject({
      mode: 'hubspot',
      health: { status: 'ok' },
      hubspot: { state: 'ok', reason: null },
      sync: { role: 'leader' },
      inbox: { synced: 2, dead: 0, pending: 0 },
      backlog: { waiting: 0, oldestPendingAgeSeconds: 0 },
      recordings: { stored: 0, dead: 0 },
    });
    expect(overview['portalId']).toMatch(/^\d+$/);
    expect(overview['sync']['leader']).toBe(overview['sync']['instance']);
    expect(overview['mapping']['version']).toBe(1);
    const hours = overview['syncedPerHour'] as Array<{ hour: string; calls: number }>;
    expect(hours).toHaveLength(24);
    expect(hours[23]!.calls).toBe(2);
    expect(hours.slice(0, 23).every((entry) => entry.calls === 0)).toBe(true);
    expect(Date.parse(hours[23]!.hour) - Date.parse(hours[0]!.hour)).toBe(23 * 3_600_000);
    expect(overview['hubspotRequests']['total']).toBeGreaterThan(0);
  });

  it('lists deliveries newest first with masked phones, pages by id, finds them by phone (any format) and call id, and shows one whole', async () => {
    const app = await start();
    const numbers = [1, 2, 3].map((index) => chinaMobile(60 + index));
    await postYunfu(app, yunfuBatch(numbers.map((number, index) => yunfuCall({ callid: `dl-${index}`, number }))));
    await postVoiceFox(app, voicefoxEvent('callin-collect', 'vf-console-1', '17534989887'));
    await app.settled();
    const session = await signIn(app);
    const list = (path: string) => api(app, 'GET', path, { session });

    const all = (await list('deliveries')).body as unknown as DeliveryListAnswer;
    expect(all.items.map((item) => item['vendor'])).toEqual(['voicefox', 'yunfu', 'yunfu', 'yunfu']);
    expect(all.nextBefore).toBeNull();
    expect(all.items[0]).toMatchObject({
      status: 'synced',
      vendorCallIds: ['vf-console-1'],
      phones: ['+86 175 **** 9887'],
    });
    expect(JSON.stringify(all)).not.toContain('17534989887');

    const first = (await list('deliveries?limit=2')).body as unknown as typeof all;
    expect(first.items).toHaveLength(2);
    const second = (await list(`deliveries?limit=2&before=${first.nextBefore!}`)).body as unknown as typeof all;
    expect(second.items.map((item) => item['id'])).toEqual(all.items.slice(2).map((item) => item['id']));
    // The last page, full: no cursor to an empty page after it.
    expect(second.nextBefore).toBeNull();
    expect(((await list('deliveries?limit=4')).body as unknown as typeof all).nextBefore).toBeNull();
    expect(((await list('deliveries?limit=3')).body as unknown as typeof all).nextBefore).toBe(all.items[2]!['id']);

    for (const q of ['+86 175 3498 9887', '175-3498-9887', '017534989887', '8617534989887'])
      expect(
        ((await list(`deliveries?q=${encodeURIComponent(q)}`)).body as unknown as typeof all).items.map(
          (item) => item['vendor'],
        ),
        q,
      ).toEqual(['voicefox']);
    const byCallId = (await list('deliveries?q=dl-1')).body as unknown as typeof all;
    expect(byCallId.items.map((item) => item['vendorCallIds'])).toEqual([['dl-1']]);
    expect(((await list('deliveries?q=vf-console')).body as unknown as typeof all).items).toHaveLength(1);
    // LIKE's own wildcards in a search are plain characters.
    expect(((await list('deliveries?q=dl_1')).body as unknown as typeof all).items).toHaveLength(0);
    expect(((await list('deliveries?q=%25')).body as unknown as typeof all).items).toHaveLength(0);
    expect(((await list('deliveries?vendor=yunfu&status=synced')).body as unknown as typeof all).items).toHaveLength(3);
    expect((await list('deliveries?limit=101')).status).toBe(400);
    expect((await list('deliveries?status=nope')).status).toBe(400);

    const id = all.items[0]!['id'];
    const detail = (await list(`deliveries/${id}`)).body as unknown as DeliveryAnswer;
    expect(detail).toMatchObject({
      id,
      vendor: 'voicefox',
      eventName: 'callin.collect',
      status: 'synced',
      pruned: false,
    });
    expect(detail['payload']['event_data']['caller']).toBe('17534989887');
    expect(detail.records[0]!.customer.phone.e164).toBe('+8617534989887');
    const portal = ((await list('overview')).body as unknown as OverviewAnswer).portalId!;
    expect(detail['hubspot']['contactUrl']).toBe(
      `https://app.hubspot.com/contacts/${portal}/record/0-1/${detail['hubspot']['contactId']}`,
    );
    expect(detail['hubspot']['callUrl']).toBe(
      `https://app.hubspot.com/contacts/${portal}/record/0-48/${detail['hubspot']['callId']}`,
    );
    expect((await list('deliveries/999999')).status).toBe(404);
    // Ids past what a row can have (PostgreSQL's are 32-bit): no such delivery, and a cursor that reads from the
    // newest, never the database's "out of range" as a 500.
    expect((await list('deliveries/99999999999')).status).toBe(404);
    expect(((await list('deliveries?before=99999999999')).body as unknown as typeof all).items).toEqual(all.items);
    expect((await list('deliveries?before=abc')).status).toBe(400);
    // A NUL in what is compared with stored text: PostgreSQL would refuse the query; the request is refused first.
    for (const query of ['q=175%00', 'vendor=yunfu%00']) {
      const refused = await list(`deliveries?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body, query).toMatchObject({ error: { message: expect.stringMatching(/NUL character/) } });
    }
    const preview = await api(app, 'POST', 'mapping/preview', {
      session,
      body: { text: SHIPPED, eventId: 99999999999 },
    });
    expect(preview.status).toBe(404);
  });

  it('groups dead letters by masked reason and replays them by reason or ids back to pending', async () => {
    // No sync here: replayed events stay pending, where the test can see them.
    const app = await start({ SYNC_ENABLED: 'false' });
    await postYunfu(
      app,
      yunfuBatch([1, 2, 3].map((index) => yunfuCall({ callid: `dead-${index}`, number: chinaMobile(80 + index) }))),
    );
    const events = await app.inbox.list();
    const now = new Date();
    await app.inbox.complete(
      events[0]!.id,
      1,
      { status: 'dead', error: 'HubSpot refused +86 138 0000 0081 for this call' },
      now,
    );
    await app.inbox.complete(
      events[1]!.id,
      1,
      { status: 'dead', error: 'HubSpot refused +86 138 0000 0082 for this call' },
      now,
    );
    await app.inbox.complete(events[2]!.id, 1, { status: 'dead', error: 'no phone number' }, now);
    const session = await signIn(app);

    const dead = (await api(app, 'GET', 'dead-letters', { session })).body as { groups: unknown[] };
    expect(dead.groups).toEqual([
      {
        reason: 'HubSpot refused ***81 for this call',
        count: 1,
        vendors: { yunfu: 1 },
        newestAt: now.toISOString(),
        ids: [events[0]!.id],
      },
      {
        reason: 'HubSpot refused ***82 for this call',
        count: 1,
        vendors: { yunfu: 1 },
        newestAt: now.toISOString(),
        ids: [events[1]!.id],
      },
      { reason: 'no phone number', count: 1, vendors: { yunfu: 1 }, newestAt: now.toISOString(), ids: [events[2]!.id] },
    ]);
    expect(JSON.stringify(dead)).not.toContain('0000 0081');

    const byReason = await api(app, 'POST', 'replay', {
      session,
      body: { reason: 'HubSpot refused ***81 for this call' },
    });
    expect(byReason.body).toEqual({ queued: 1, ids: [events[0]!.id] });
    expect((await app.inbox.findById(events[0]!.id))!.status).toBe('pending');
    const byIds = await api(app, 'POST', 'replay', {
      session,
      body: { ids: [events[1]!.id, events[2]!.id, 999999, 99999999999] },
    });
    expect(byIds.body).toEqual({ queued: 2, ids: [events[1]!.id, events[2]!.id] });
    expect((await app.inbox.list({ status: 'pending' })).map((event) => event.id)).toEqual(
      events.map((event) => event.id),
    );
    expect((await api(app, 'POST', 'replay', { session, body: {} })).status).toBe(400);
    const replays = (await auditActions(app, session)).filter((entry) => entry.action === 'replay');
    expect(replays.map((entry) => entry.detail['queued'])).toEqual([2, 1]);
  });

  it('shows the calls of a contact found by phone, from HubSpot through the adapter (newest first, with links)', async () => {
    const app = await start();
    const number = chinaMobile(91);
    await postYunfu(app, yunfuBatch([yunfuCall({ callid: 'tl-1', number })]));
    await app.settled();
    await postVoiceFox(app, voicefoxEvent('callin-collect', 'tl-vf-2', number));
    await app.settled();
    const session = await signIn(app);
    const answer = await api(app, 'GET', `timeline?phone=${encodeURIComponent(e164Of(number))}`, { session });
    expect(answer.status).toBe(200);
    const timeline = answer.body as unknown as TimelineAnswer;
    const contact = app.emulator
      .listObjects('contacts')
      .find((object) => object.properties['ai_call_phone_e164'] === e164Of(number))!;
    expect(timeline.contact).toMatchObject({ id: String(contact.id), phone: e164Of(number) });
    expect(timeline.contact['url']).toMatch(
      new RegExp(`^https://app\\.hubspot\\.com/contacts/\\d+/record/0-1/${contact.id}$`),
    );
    expect(timeline.calls).toHaveLength(2);
    expect(timeline.calls.map((call) => call['title'])).toEqual([
      expect.stringContaining('VoiceFox'),
      expect.stringContaining('Yunfu'),
    ]);
    expect(timeline.calls[0]).toMatchObject({ direction: 'INBOUND', durationMs: expect.any(Number) });
    expect(timeline.calls[0]!['url']).toMatch(/\/record\/0-48\/\d+$/);
    // The same number as the vendor wrote it (no country code) finds the same contact.
    const national = (await api(app, 'GET', `timeline?phone=${number}`, { session }))
      .body as unknown as typeof timeline;
    expect(national.contact['id']).toBe(String(contact.id));
    expect((await api(app, 'GET', 'timeline?phone=%2B8613900000000', { session })).body).toEqual({
      contact: null,
      calls: [],
    });
    expect((await api(app, 'GET', 'timeline?phone=abc', { session })).status).toBe(400);
  });
});

describe('console mapping', () => {
  it('refuses a save with problems and changes nothing; a good save takes the next version, writes the file, and the next call uses it', async () => {
    const app = await start();
    const session = await signIn(app);
    const file = join(app.dir, 'config', 'mapping.yaml');
    const digestOf = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = (await api(app, 'GET', 'mapping', { session })).body as {
      text: string;
      version: number;
      digest: string;
      fileName: string;
    };
    expect(before).toMatchObject({ fileName: 'mapping.yaml', version: 1, text: SHIPPED });
    const fileBefore = digestOf();

    const broken = withTitle('Call from {{custmer.name}}');
    const line = broken.split('\n').findIndex((text) => text.startsWith('  title:')) + 1;
    const checked = await api(app, 'POST', 'mapping/check', { session, body: { text: broken } });
    expect(checked.body).toEqual({
      ok: false,
      problems: [{ line, path: 'call.title', message: 'unknown field "custmer.name"' }],
    });
    const refused = await api(app, 'POST', 'mapping', { session, body: { text: broken, baseDigest: before.digest } });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      ok: false,
      problems: [{ line, path: 'call.title', message: 'unknown field "custmer.name"' }],
    });
    // A NUL character (PostgreSQL's text cannot hold one) is a problem with its line, not a store that "did not answer".
    for (const title of ['"AI\u0000call"', '"AI\\0call"']) {
      const withNul = SHIPPED.replace(/^ {2}title: .*$/m, `  title: ${title}`);
      const nul = await api(app, 'POST', 'mapping', { session, body: { text: withNul, baseDigest: before.digest } });
      expect(nul.status, title).toBe(400);
      expect(nul.body, title).toEqual({
        ok: false,
        problems: [{ line, path: '', message: expect.stringMatching(/^the (line|value) must not contain the NUL/) }],
      });
    }
    expect(digestOf()).toBe(fileBefore);
    expect((await api(app, 'GET', 'mapping', { session })).body).toMatchObject({ version: 1, digest: before.digest });
    expect(await db(app).selectFrom('mapping_versions').select('version').execute()).toHaveLength(1);

    const good = withTitle('Console call ({{vendorName}})');
    const saved = await api(app, 'POST', 'mapping', { session, body: { text: good, baseDigest: before.digest } });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ ok: true, version: 2 });
    expect(readFileSync(file, 'utf8')).toBe(good);
    const after = (await api(app, 'GET', 'mapping', { session })).body;
    expect(after).toMatchObject({ version: 2, text: good, digest: saved.body['digest'] });
    // An edit begun from the earlier text is stale now.
    const stale = await api(app, 'POST', 'mapping', { session, body: { text: SHIPPED, baseDigest: before.digest } });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: { code: 'stale' } });

    await postYunfu(app, yunfuBatch([yunfuCall({ callid: 'after-save', number: chinaMobile(71) })]));
    await app.settled();
    const call = app.emulator
      .listObjects('calls')
      .find((object) => object.properties['ai_call_key'] === 'yunfu:after-save')!;
    expect(call.properties['hs_call_title']).toBe('Console call (Yunfu)');
    const saves = (await auditActions(app, session)).filter((entry) => entry.action === 'mapping.save');
    expect(saves.map((entry) => entry.detail)).toEqual([
      { ok: false, stale: true },
      { ok: true, version: 2, digest: saved.body['digest'] },
      { ok: false, problems: 1 },
      { ok: false, problems: 1 },
      { ok: false, problems: 1 },
    ]);
  });

  it('previews a stored event and a given payload under the submitted text and under the mapping in force', async () => {
    const app = await start();
    await postYunfu(app, yunfuBatch([yunfuCall({ callid: 'pv-1', number: chinaMobile(72) })]));
    await app.settled();
    const session = await signIn(app);
    const [event] = await app.inbox.list();
    const proposedText = withTitle('Preview {{vendorName}}');
    const titles = (preview: PreviewAnswer | null) =>
      preview!.calls.map((call) => call.call.properties['hs_call_title']);

    const stored = (
      await api(app, 'POST', 'mapping/preview', { session, body: { text: proposedText, eventId: event!.id } })
    ).body as unknown as PreviewsAnswer;
    expect(stored['problems']).toEqual([]);
    expect(titles(stored['proposed'])).toEqual(['Preview Yunfu']);
    expect(titles(stored['inForce'])).toEqual(['AI call (Yunfu, inbound) · intention A']);

    const given = (
      await api(app, 'POST', 'mapping/preview', {
        session,
        body: { text: withTitle('{{nope}}'), vendor: 'voicefox', payload: fixture('voicefox', 'callin-collect') },
      })
    ).body as unknown as PreviewsAnswer;
    expect(given['proposed']).toBeNull();
    expect(given['problems']).toEqual([expect.objectContaining({ path: 'call.title' })]);
    expect(titles(given['inForce'])).toHaveLength(1);
    expect((await api(app, 'POST', 'mapping/preview', { session, body: { text: SHIPPED } })).status).toBe(400);
  });
});

describe('console in sandbox mode', () => {
  it('prints a one-time sign-in link (single use), makes up secrets it never shows, and sends the samples through the webhook path', async () => {
    // Sandbox: no HubSpot token; the store in memory (no emulator state file in the working directory).
    const app = await start({
      HUBSPOT_ACCESS_TOKEN: undefined,
      HUBSPOT_EMULATOR_PORT: '0',
      ADMIN_TOKEN: undefined,
      CONSOLE_VIEWER_TOKEN: undefined,
      VOICEFOX_WEBHOOK_SECRET: undefined,
      YUNFU_WEBHOOK_SECRET: undefined,
      DATABASE_URL: 'sqlite::memory:',
    });
    const env = app.app.get<AppEnv>(APP_ENV);
    expect(env.generatedSecrets).toEqual(
      expect.arrayContaining(['ADMIN_TOKEN', 'VOICEFOX_WEBHOOK_SECRET', 'YUNFU_WEBHOOK_SECRET']),
    );
    const printed: string[] = [];
    logStartupSummary(app.app, app.app.get(AppLogger), app.url, (line) => printed.push(line));
    logStartupSummary(app.app, app.app.get(AppLogger), app.url, (line) => printed.push(line));
    expect(printed).toHaveLength(1);
    const code = /^Console: http:\/\/127\.0\.0\.1:\d+\/console\/#\/sign-in\?code=([A-Za-z0-9_-]{43})$/.exec(
      printed[0]!,
    )![1]!;
    // Names in the log, never values.
    const logged = JSON.stringify(app.logs);
    expect(logged).toContain('VOICEFOX_WEBHOOK_SECRET');
    for (const secret of secrets) expect(logged).not.toContain(secret);
    expect(logged).not.toContain(code);

    expect((await api(app, 'POST', 'session/link', { body: { code: 'wrong-code-0123456789' } })).status).toBe(401);
    const linked = await api(app, 'POST', 'session/link', { body: { code } });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ kind: 'admin', sandbox: true });
    expect((await api(app, 'POST', 'session/link', { body: { code } })).status).toBe(401);
    const setCookie = linked.headers.getSetCookie()[0]!;
    const session: Session = {
      cookie: setCookie.split(';')[0]!,
      csrf: linked.body['csrfToken'] as string,
      setCookie,
      body: linked.body,
    };

    const samples = await api(app, 'POST', 'samples', { session });
    expect(samples.body).toEqual({ sent: 2, vendors: ['voicefox', 'yunfu'] });
    await waitFor(async () => (await app.inbox.list()).length === 2, 5_000);
    expect((await app.inbox.list()).map((event) => event.vendor).sort()).toEqual(['voicefox', 'yunfu']);
    // Each press is new calls.
    expect((await api(app, 'POST', 'samples', { session })).body).toEqual({ sent: 2, vendors: ['voicefox', 'yunfu'] });
    await waitFor(async () => (await app.inbox.list()).length === 4, 5_000);
    const overview = (await api(app, 'GET', 'overview', { session })).body;
    expect(overview).toMatchObject({ mode: 'sandbox', portalId: null });
    const entries = await auditActions(app, session);
    expect(entries.map((entry) => `${entry.actor} ${entry.action}`).reverse()).toEqual([
      'sandbox-link session.sign-in',
      'sandbox-link samples.send',
      'sandbox-link samples.send',
    ]);
  });

  it('sends no samples and takes no sign-in link outside sandbox mode (404)', async () => {
    const app = await start();
    const session = await signIn(app);
    expect((await api(app, 'POST', 'samples', { session })).status).toBe(404);
    expect((await api(app, 'POST', 'session/link', { body: { code: 'x'.repeat(43) } })).status).toBe(404);
  });
});

describe('the console app', () => {
  const built = () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-ui-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script src="assets/app.js"></script>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log("app")');
    writeFileSync(join(dir, 'assets', 'app.css'), 'body{}');
    writeFileSync(join(dir, 'secret.txt'), 'outside assets');
    return dir;
  };

  it('serves index.html and its assets with their types, the CSP and security headers, and nothing outside assets/', async () => {
    const app = await start({ CONSOLE_UI_DIR: built() });
    const redirect = await send(app.url, '/console');
    expect(redirect.status).toBe(308);
    expect(redirect.headers['location']).toBe('/console/');
    const index = await send(app.url, '/console/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toContain('assets/app.js');
    for (const [name, value] of [
      ['content-security-policy', CONSOLE_CSP],
      ['x-content-type-options', 'nosniff'],
      ['referrer-policy', 'same-origin'],
      ['x-frame-options', 'DENY'],
      ['cache-control', 'no-cache'],
    ] as Array<[string, string]>)
      expect(index.headers[name], name).toBe(value);
    const script = await send(app.url, '/console/assets/app.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body).toBe('console.log("app")');
    expect((await send(app.url, '/console/assets/app.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    const again = await send(app.url, '/console/assets/app.js', {
      headers: { 'if-none-match': String(script.headers['etag']) },
    });
    expect(again.status).toBe(304);
    for (const path of [
      '/console/assets/../secret.txt',
      '/console/assets/..%2fsecret.txt',
      '/console/assets/%2e%2e/secret.txt',
      '/console/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/console/assets/.hidden.js',
      '/console/assets/app.exe',
      '/console/assets/nope.js',
    ]) {
      const answer = await send(app.url, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain('outside assets');
    }
  });

  it('answers a plain 503 page saying to build when the console is not built', async () => {
    const missing = mkdtempSync(join(tmpdir(), 'console-ui-missing-'));
    dirs.push(missing);
    const app = await start({ CONSOLE_UI_DIR: missing });
    const answer = await send(app.url, '/console/');
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('npm run build');
    expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP);
  });
});
