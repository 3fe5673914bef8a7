import { HubSpotEmulator, type SnapshotObject } from '@ai-call-hubspot-connector/hubspot-emulator';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubSpotSdkAdapter } from '../../src/hubspot/hubspot-sdk.adapter.js';
import { HUBSPOT_PORT } from '../../src/hubspot/hubspot.port.js';
import { connectorDir, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
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

/**
 * The connector against an emulator that enforces HubSpot's documented limits and behaves as HubSpot does when
 * things go wrong: answers lost after a write, portals at their limits, contacts and options changed by people.
 * Search lags a realistic 2 s wherever identity depends on it. Each test prints its figures.
 */
const apps: TestApp[] = [];
const emulators: HubSpotEmulator[] = [];
const processes: ConnectorProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const started of processes.splice(0)) if (started.child.exitCode === null) started.child.kill('SIGKILL');
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const SEARCH_LAG_MS = 2_000;
/** What the connector assumes about HubSpot's search lag: a little more than the emulator's. */
const CONNECTOR_SEARCH_LAG = String(SEARCH_LAG_MS + 500);

async function emulatorWith(limits: Parameters<typeof HubSpotEmulator.start>[0] = {}): Promise<HubSpotEmulator> {
  const emulator = await HubSpotEmulator.start({ ...limits, limits: { searchLagMs: SEARCH_LAG_MS, ...limits.limits } });
  emulators.push(emulator);
  return emulator;
}

async function start(options: Parameters<typeof startTestApp>[0] = {}): Promise<TestApp> {
  const app = await startTestApp({ ...options, env: { HUBSPOT_SEARCH_LAG_MS: CONNECTOR_SEARCH_LAG, ...options.env } });
  apps.push(app);
  return app;
}

const postYunfu = (app: TestApp, body: unknown) => postJson(`${app.url}/webhooks/yunfu/${YUNFU_SECRET}`, body);
const callsWithKey = (emulator: HubSpotEmulator, key: string): SnapshotObject[] =>
  emulator.listObjects('calls').filter((call) => call.properties['ai_call_key'] === key);
/** Requests HubSpot refused deterministically (a 4xx other than 429). */
const refused = (emulator: HubSpotEmulator): number =>
  Object.entries(emulator.counters.byStatus)
    .filter(([status]) => status.startsWith('4') && status !== '429')
    .reduce((sum, [, count]) => sum + count, 0);
const endpointTotal = (emulator: HubSpotEmulator, suffix: string): number =>
  Object.entries(emulator.counters.byEndpoint)
    .filter(([endpoint]) => endpoint.endsWith(suffix))
    .reduce((sum, [, value]) => sum + value.total, 0);

interface Health {
  status: string;
  details: { hubspot: { state: string; reason?: string; warnings?: string[] } };
}
const health = async (url: string): Promise<Health> => (await (await fetch(`${url}/health/ready`)).json()) as Health;

/** A valid +1 number (650-253 is a real exchange) for each index below 10,000. */
const usNumber = (index: number): string => `+1650253${String(index).padStart(4, '0')}`;

describe('HubSpot as it really is: every documented limit', () => {
  it(
    'syncs 1,000 calls from 1,000 new numbers (half Chinese mobiles, half +1) with 0 refused requests, 0 duplicates, and searches within 3,000 characters',
    { timeout: 120_000 },
    async () => {
      const emulator = await emulatorWith();
      const t = await start({ emulator });
      const numbers = Array.from({ length: 1_000 }, (_, index) =>
        index % 2 === 0 ? chinaMobile(200_000 + index) : usNumber(index),
      );
      const calls = numbers.map((number, index) =>
        yunfuCall({ callid: `limits-${index}`, number, intention: (index % 6) + 1, tags: [`tag-${index % 7}`] }),
      );
      const started = Date.now();
      for (let index = 0; index < calls.length; index += 80) {
        const posts = [];
        for (let offset = index; offset < Math.min(index + 80, calls.length); offset += 10)
          posts.push(postYunfu(t, yunfuBatch(calls.slice(offset, offset + 10))));
        for (const response of await Promise.all(posts)) expect(response.status).toBe(200);
      }
      await t.settled(110_000);

      const counts = await t.inbox.countByStatus();
      const contacts = emulator.listObjects('contacts');
      const keys = new Set(contacts.map((contact) => contact.properties['ai_call_phone_e164']));
      const callKeys = new Set(emulator.listObjects('calls').map((call) => call.properties['ai_call_key']));
      const stats = t.app.get<HubSpotSdkAdapter>(HUBSPOT_PORT).stats;
      const versions = new Set(emulator.requestLog.map((entry) => entry.apiVersion));
      process.stdout.write(
        `[hubspot-limits] 1,000 calls / 1,000 new numbers (500 CN, 500 +1): ${counts.synced} synced, ${counts.dead} dead, ` +
          `${emulator.counters.total} HubSpot requests (${stats.searches} searches), ${refused(emulator)} refused, ` +
          `largest search body ${emulator.counters.largestSearchBody} characters as HubSpot received it (${stats.largestSearchBody} as sent), ` +
          `API versions used: ${[...versions].join(', ')}, drained in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      expect(counts).toMatchObject({ synced: 1_000, dead: 0, retrying: 0, pending: 0 });
      expect(refused(emulator)).toBe(0);
      expect(emulator.counters.largestSearchBody).toBeGreaterThan(0);
      expect(emulator.counters.largestSearchBody).toBeLessThanOrEqual(3_000);
      expect(stats.largestSearchBody).toBe(emulator.counters.largestSearchBody);
      // Searches go out full during the burst: 1,000 numbers at 94 to 101 per search need 11 (a partly filled one
      // per batch of 100 would make 20).
      expect(stats.searches).toBeLessThanOrEqual(12);
      // No duplicates: one contact per number, one call per vendor call.
      expect(contacts).toHaveLength(1_000);
      expect(keys).toEqual(new Set(numbers.map((number) => (number.startsWith('+') ? number : e164Of(number)))));
      expect(emulator.listObjects('calls')).toHaveLength(1_000);
      expect(callKeys.size).toBe(1_000);
      // Every path on the current dated version, but the call outcomes, which HubSpot serves on v1 only.
      expect([...versions].sort()).toEqual(['2026-09', 'v1']);
    },
  );

  it(
    "writes a tag beyond HubSpot's 5,000 options as text, and every other call of that batch and later ones syncs normally",
    { timeout: 60_000 },
    async () => {
      const emulator = await emulatorWith();
      const t = await start({ emulator });
      await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'cap-warm', number: chinaMobile(300), tags: ['t-0'] })]));
      await t.settled();
      // The portal's tag property holds 4,999 options: room for one more.
      const full = Array.from({ length: 4_999 }, (_, index) => ({
        label: `t-${index}`,
        value: `t-${index}`,
        displayOrder: index,
        hidden: false,
      }));
      const patched = await fetch(`${emulator.url}/crm/properties/2026-09/calls/ai_call_tags`, {
        method: 'PATCH',
        headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
        body: JSON.stringify({ options: full }),
      });
      expect(patched.status).toBe(200);

      const batch = [
        yunfuCall({ callid: 'cap-1', number: chinaMobile(301), tags: ['t-1'] }),
        yunfuCall({ callid: 'cap-2', number: chinaMobile(302), tags: ['new-a', 'new-b', 't-2'] }),
        yunfuCall({ callid: 'cap-3', number: chinaMobile(303), tags: ['t-3'] }),
      ];
      await postYunfu(t, yunfuBatch(batch));
      await t.settled();
      await postYunfu(
        t,
        yunfuBatch([
          yunfuCall({ callid: 'cap-4', number: chinaMobile(304), tags: ['new-c', 't-4'] }),
          yunfuCall({ callid: 'cap-5', number: chinaMobile(305), tags: ['t-5'] }),
        ]),
      );
      await t.settled();

      const counts = await t.inbox.countByStatus();
      const property = (await (
        await fetch(`${emulator.url}/crm/properties/2026-09/calls/ai_call_tags`, {
          headers: { authorization: 'Bearer admin' },
        })
      ).json()) as { options: unknown[] };
      const call = (key: string) => callsWithKey(emulator, `yunfu:${key}`)[0]!.properties;
      const ready = await health(t.url);
      process.stdout.write(
        `[hubspot-limits] option cap: ${counts.synced} synced, ${counts.dead} dead, ai_call_tags has ${property.options.length} options; ` +
          `cap-2 tags "${call('cap-2')['ai_call_tags']}", unlisted "${call('cap-2')['ai_call_unlisted_values']}"; health: ${ready.details.hubspot.warnings?.join(' | ')}\n`,
      );
      expect(counts).toMatchObject({ synced: 6, dead: 0, retrying: 0 });
      expect(property.options).toHaveLength(5_000);
      // The documented policy: the first new tag took the last option; the ones beyond the limit are kept as text.
      expect(call('cap-2')).toMatchObject({ ai_call_tags: 'new-a;t-2', ai_call_unlisted_values: 'Tags: new-b' });
      expect(call('cap-4')).toMatchObject({ ai_call_tags: 't-4', ai_call_unlisted_values: 'Tags: new-c' });
      for (const [key, tag] of [
        ['cap-1', 't-1'],
        ['cap-3', 't-3'],
        ['cap-5', 't-5'],
      ]) {
        expect(call(key!)['ai_call_tags']).toBe(tag);
        expect(call(key!)['ai_call_unlisted_values'] ?? '').toBe('');
      }
      expect(ready.status).toBe('degraded');
      expect(ready.details.hubspot.state).toBe('ok');
      expect(ready.details.hubspot.warnings?.join(' ')).toMatch(
        /calls\.ai_call_tags has reached HubSpot's limit of 5000 options/,
      );
    },
  );

  it("dead-letters only the call HubSpot refuses with a 400, with HubSpot's message, and delays no call received after it", async () => {
    const emulator = await emulatorWith();
    // An admin's own select property, holding grade A only: a call graded Z is refused by HubSpot, for good.
    const created = await fetch(`${emulator.url}/crm/properties/2026-09/calls`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'sales_grade',
        label: 'Grade',
        type: 'enumeration',
        fieldType: 'select',
        groupName: 'callinformation',
        options: [{ label: 'A', value: 'A', displayOrder: 0 }],
      }),
    });
    expect(created.status).toBe(201);
    const t = await start({
      emulator,
      mappingYaml: 'call:\n  properties:\n    - { source: intention.label, property: sales_grade, mode: overwrite }\n',
    });
    await postYunfu(
      t,
      yunfuBatch(
        [0, 1, 2, 3, 4].map((index) =>
          yunfuCall({
            callid: `refused-${index}`,
            number: chinaMobile(400 + index),
            intention: index === 1 ? 'Z' : 'A',
          }),
        ),
      ),
    );
    await postYunfu(
      t,
      yunfuBatch(
        [5, 6, 7].map((index) =>
          yunfuCall({ callid: `later-${index}`, number: chinaMobile(400 + index), intention: 'A' }),
        ),
      ),
    );
    await t.settled();

    const dead = await t.inbox.list({ status: 'dead' });
    expect(dead.map((row) => row.event_key)).toEqual(['refused-1']);
    expect(dead[0]!.last_error).toMatch(
      /^HubSpot refused the call: .*sales_grade.*\(VALIDATION_ERROR, correlation id [\w-]+\)$/,
    );
    expect(dead[0]!.last_error).toContain('Z');
    const synced = await t.inbox.list({ status: 'synced' });
    expect(synced.map((row) => row.event_key).sort()).toEqual([
      'later-5',
      'later-6',
      'later-7',
      'refused-0',
      'refused-2',
      'refused-3',
      'refused-4',
    ]);
    // Each of them went through on its first attempt: the refusal held nothing back.
    expect(synced.every((row) => row.attempts === 0)).toBe(true);
    expect(emulator.listObjects('calls')).toHaveLength(7);
  });
});

describe('HubSpot as it really is: answers lost after a write', () => {
  it(
    '"apply, then 502" on a calls batch create: each call exists once in HubSpot and its event is synced',
    { timeout: 60_000 },
    async () => {
      const emulator = await emulatorWith();
      const t = await start({ emulator, env: { SYNC_LINGER_MS: '300' } });
      emulator.setFaults({ mode: 'apply-then-status', status: 502, count: 1, paths: '/calls/batch/create$' });
      await postYunfu(
        t,
        yunfuBatch(
          Array.from({ length: 50 }, (_, index) =>
            yunfuCall({ callid: `lost-${index}`, number: chinaMobile(500 + index) }),
          ),
        ),
      );
      await t.settled(40_000);

      const counts = await t.inbox.countByStatus();
      const creates = endpointTotal(emulator, '/calls/batch/create');
      process.stdout.write(
        `[hubspot-faults] apply-then-502 on calls batch create: ${counts.synced} synced, ${emulator.listObjects('calls').length} calls in HubSpot, ` +
          `${creates} create request(s), ${endpointTotal(emulator, '/calls/search')} key search(es), ${endpointTotal(emulator, '/calls/batch/update')} update(s)\n`,
      );
      expect(emulator.faultsReport().applied).toBe(1);
      expect(counts).toMatchObject({ synced: 50, dead: 0, retrying: 0 });
      expect(emulator.listObjects('calls')).toHaveLength(50);
      for (let index = 0; index < 50; index++) expect(callsWithKey(emulator, `yunfu:lost-${index}`)).toHaveLength(1);
      // The create whose answer was lost was never sent again: the calls were found by their key and updated.
      expect(creates).toBe(1);
      const synced = await t.inbox.list({ status: 'synced' });
      const ids = new Set(emulator.listObjects('calls').map((call) => call.id));
      expect(synced.every((row) => ids.has(row.hubspot_call_id!))).toBe(true);
    },
  );

  it(
    '"apply, then never answer" on a calls batch create: the request times out, and each call exists once',
    { timeout: 60_000 },
    async () => {
      const emulator = await emulatorWith();
      const t = await start({ emulator, env: { HUBSPOT_REQUEST_TIMEOUT_MS: '1000' } });
      emulator.setFaults({ mode: 'apply-then-hang', count: 1, paths: '/calls/batch/create$' });
      await postYunfu(
        t,
        yunfuBatch(
          Array.from({ length: 20 }, (_, index) =>
            yunfuCall({ callid: `hung-${index}`, number: chinaMobile(600 + index) }),
          ),
        ),
      );
      await t.settled(40_000);
      process.stdout.write(
        `[hubspot-faults] apply-then-hang on calls batch create: ${(await t.inbox.countByStatus()).synced} synced, ${emulator.listObjects('calls').length} calls, ${endpointTotal(emulator, '/calls/batch/create')} create request(s)\n`,
      );
      expect(await t.inbox.countByStatus()).toMatchObject({ synced: 20, dead: 0 });
      expect(emulator.listObjects('calls')).toHaveLength(20);
      expect(endpointTotal(emulator, '/calls/batch/create')).toBe(1);
    },
  );

  it(
    'does not create a call a third time when the create sent after a lookup loses its answer too (the lag is counted from the latest create)',
    { timeout: 60_000 },
    async () => {
      // Search lags 6 s here, longer than the connector's pauses, so that a lookup right after the second create misses.
      const emulator = await emulatorWith({ limits: { searchLagMs: 6_000 } });
      const t = await start({ emulator, env: { HUBSPOT_SEARCH_LAG_MS: '7000' } });
      emulator.setFaults({ mode: 'status', status: 503, count: 1, paths: '/calls/batch/create$' });
      await postYunfu(
        t,
        yunfuBatch(
          Array.from({ length: 10 }, (_, index) =>
            yunfuCall({ callid: `twice-lost-${index}`, number: chinaMobile(660 + index) }),
          ),
        ),
      );
      await waitFor(() => emulator.faultsReport().applied === 1, 10_000);
      // The next create (after a lookup that rightly finds nothing) is applied, and its answer lost.
      emulator.setFaults({ mode: 'apply-then-status', status: 502, count: 1, paths: '/calls/batch/create$' });
      await t.settled(45_000);
      const creates = endpointTotal(emulator, '/calls/batch/create');
      process.stdout.write(
        `[hubspot-faults] 503, then a create applied and answered 502: ${emulator.listObjects('calls').length} calls for 10, ${creates} create requests, ${endpointTotal(emulator, '/calls/search')} key searches\n`,
      );
      expect(emulator.faultsReport().applied).toBe(1);
      expect(emulator.listObjects('calls')).toHaveLength(10);
      for (let index = 0; index < 10; index++)
        expect(callsWithKey(emulator, `yunfu:twice-lost-${index}`)).toHaveLength(1);
      expect(creates).toBe(2);
      expect(await t.inbox.countByStatus()).toMatchObject({ synced: 10, dead: 0 });
    },
  );

  it(
    'keeps a create HubSpot fails every time from holding the calls batched with it: they sync, it ends dead',
    { timeout: 90_000 },
    async () => {
      const emulator = await emulatorWith({ limits: { searchLagMs: 300 } });
      const t = await start({
        emulator,
        env: { HUBSPOT_SEARCH_LAG_MS: '500', SYNC_MAX_ATTEMPTS: '2', SYNC_LINGER_MS: '300' },
      });
      // HubSpot answers 500, applying nothing, to any create request that carries this one call.
      emulator.setFaults({
        mode: 'status',
        status: 500,
        bodyContains: 'yunfu:poison-call',
        paths: '/calls/batch/create$',
      });
      const calls = Array.from({ length: 19 }, (_, index) =>
        yunfuCall({ callid: `healthy-${index}`, number: chinaMobile(680 + index) }),
      );
      await postYunfu(
        t,
        yunfuBatch([
          ...calls.slice(0, 9),
          yunfuCall({ callid: 'poison-call', number: chinaMobile(699) }),
          ...calls.slice(9),
        ]),
      );
      await t.settled(80_000);
      const counts = await t.inbox.countByStatus();
      const dead = await t.inbox.list({ status: 'dead' });
      process.stdout.write(
        `[hubspot-faults] one create answered 500 every time, in a batch of 20: ${counts.synced} synced, ${counts.dead} dead, ` +
          `${endpointTotal(emulator, '/calls/batch/create')} create requests, ${emulator.faultsReport().applied} answered 500\n`,
      );
      expect(counts).toMatchObject({ synced: 19, dead: 1, retrying: 0 });
      expect(dead.map((row) => row.event_key)).toEqual(['poison-call']);
      expect(dead[0]!.last_error).toMatch(
        /HubSpot gave no result for the create .*looked up by its key before any new create \(sent alone; \d+ creates without a result\)$/,
      );
      expect(emulator.listObjects('calls')).toHaveLength(19);
      for (let index = 0; index < 19; index++) expect(callsWithKey(emulator, `yunfu:healthy-${index}`)).toHaveLength(1);
    },
  );

  it(
    'gives a contact whose upsert answer was lost its phone and creation values all the same',
    { timeout: 30_000 },
    async () => {
      const emulator = await emulatorWith();
      const shipped = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
      const t = await start({
        emulator,
        mappingYaml: shipped.replace('defaultName: null ', 'defaultName: AI call lead '),
      });
      emulator.setFaults({ mode: 'apply-then-status', status: 502, count: 1, paths: '/contacts/batch/upsert$' });
      await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'upsert-lost', number: chinaMobile(670) })]));
      await t.settled(20_000);
      const contacts = emulator.listObjects('contacts');
      expect(emulator.faultsReport().applied).toBe(1);
      expect(contacts).toHaveLength(1);
      expect(contacts[0]!.properties).toMatchObject({
        ai_call_phone_e164: `+86${chinaMobile(670)}`,
        phone: `+86${chinaMobile(670)}`,
        firstname: 'AI call lead',
        city: '晋中',
      });
      expect(await t.inbox.findByKey('yunfu', 'upsert-lost')).toMatchObject({
        status: 'synced',
        hubspot_contact_id: contacts[0]!.id,
      });
    },
  );

  it(
    "looks up calls with the longest vendor call ids the connector takes (200 characters) within HubSpot's search body limit after a lost answer",
    { timeout: 30_000 },
    async () => {
      const emulator = await emulatorWith();
      const t = await start({ emulator, env: { SYNC_LINGER_MS: '500' } });
      emulator.setFaults({ mode: 'apply-then-status', status: 504, count: 1, paths: '/calls/batch/create$' });
      const sessions = Array.from({ length: 30 }, (_, index) => `${String(index).padStart(2, '0')}${'x'.repeat(198)}`);
      const posted = await Promise.all(
        sessions.map((session) =>
          postJson(`${t.url}/webhooks/voicefox`, voicefoxEvent('callin-collect', session, `+86${chinaMobile(650)}`), {
            authorization: `Bearer ${VOICEFOX_SECRET}`,
          }),
        ),
      );
      expect(posted.every((response) => response.status === 200)).toBe(true);
      await t.settled(20_000);
      process.stdout.write(
        `[hubspot-limits] 30 calls with 200-character ids after a lost create answer: ${endpointTotal(emulator, '/calls/search')} key searches, largest search body ${emulator.counters.largestSearchBody} characters\n`,
      );
      expect(await t.inbox.countByStatus()).toMatchObject({ synced: 30, dead: 0 });
      expect(emulator.listObjects('calls')).toHaveLength(30);
      expect(refused(emulator)).toBe(0);
      expect(endpointTotal(emulator, '/calls/search')).toBeGreaterThan(1);
      expect(emulator.counters.largestSearchBody).toBeLessThanOrEqual(3_000);
    },
  );

  it(
    '100 Yunfu calls whose batch create is answered 503 twice, then a restart (SIGKILL): all 100 end synced, each exactly once',
    { timeout: 90_000 },
    async () => {
      const emulator = await emulatorWith();
      const dir = connectorDir();
      dirs.push(dir);
      const env = {
        PORT: '0',
        HOST: '127.0.0.1',
        HUBSPOT_ACCESS_TOKEN: 'pat-restart',
        HUBSPOT_BASE_URL: emulator.url,
        YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
        HUBSPOT_SEARCH_LAG_MS: CONNECTOR_SEARCH_LAG,
        HUBSPOT_RETRY_BASE_MS: '50',
        HUBSPOT_PROBE_INTERVAL_MS: '200',
        // After the restart the connector leads under a new lease: a miss for a create of the previous run is trusted
        // only after this time-out + the search lag (a request sent just before the kill may still be applied).
        HUBSPOT_REQUEST_TIMEOUT_MS: '3000',
        SYNC_LINGER_MS: '200',
        // All 100 calls in one batch (a full batch would leave a few numbers for the next one, to share its search).
        WORKER_BATCH_SIZE: '200',
        LOG_LEVEL: 'info',
      };
      const run = async (): Promise<string> => {
        const started = startConnectorProcess(dir, env);
        processes.push(started);
        return started.listening();
      };
      let url = await run();
      emulator.setFaults({ mode: 'status', status: 503, count: 2, paths: '/calls/batch/create$' });
      const response = await postJson(
        `${url}/webhooks/yunfu/${YUNFU_SECRET}`,
        yunfuBatch(
          Array.from({ length: 100 }, (_, index) =>
            yunfuCall({ callid: `twice-${index}`, number: chinaMobile(700 + index) }),
          ),
        ),
      );
      expect(response.status).toBe(200);
      // Both 503s answered; the creates are unconfirmed in the ledger. Kill the connector right then.
      await waitFor(() => emulator.faultsReport().applied === 2, 30_000);
      processes[0]!.child.kill('SIGKILL');
      await processes[0]!.exit;
      url = await run();
      const synced = async () => {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        return Number(/connector_inbox_events\{status="synced"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      };
      await waitFor(async () => (await synced()) === 100, 40_000);

      const keys = emulator.listObjects('calls').map((call) => call.properties['ai_call_key']);
      const creates = endpointTotal(emulator, '/calls/batch/create');
      process.stdout.write(
        `[hubspot-faults] 503 twice on calls batch create, then SIGKILL and restart: ${await synced()} synced, ${keys.length} calls in HubSpot, ${creates} create requests (2 answered 503)\n`,
      );
      expect(keys).toHaveLength(100);
      expect(new Set(keys).size).toBe(100);
      for (let index = 0; index < 100; index++) expect(keys).toContain(`yunfu:twice-${index}`);
      // Each create was sent again only after a search had not found the calls: 2 refused, 1 applied.
      expect(creates).toBe(3);
    },
  );
});

describe('HubSpot as it really is: the portal changes under the connector', () => {
  it("logs the second call of a number on a live contact after the first one's contact was deleted in HubSpot", async () => {
    const emulator = await emulatorWith();
    const t = await start({ emulator });
    const number = chinaMobile(800);
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'deleted-1', number })]));
    await t.settled();
    const first = callsWithKey(emulator, 'yunfu:deleted-1')[0]!.associations.contacts![0]!;
    const removed = await fetch(`${emulator.url}/crm/objects/2026-09/contacts/${first}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer sales' },
    });
    expect(removed.status).toBe(204);

    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'deleted-2', number })]));
    await t.settled();
    const second = callsWithKey(emulator, 'yunfu:deleted-2')[0]!;
    const live = emulator.getObject('contacts', second.associations.contacts![0]!);
    process.stdout.write(
      `[hubspot-portal] contact ${first} deleted between two calls: the second call is on contact ${live?.id}\n`,
    );
    expect(await t.inbox.findByKey('yunfu', 'deleted-2')).toMatchObject({
      status: 'synced',
      hubspot_contact_id: live!.id,
    });
    expect(live!.id).not.toBe(first);
    expect(live!.properties['ai_call_phone_e164']).toBe(e164Of(number));
    expect(emulator.listObjects('contacts')).toHaveLength(1);
  });

  it('logs the second call of a number on the surviving contact after its contact was merged into another', async () => {
    const emulator = await emulatorWith();
    const t = await start({ emulator });
    const number = chinaMobile(801);
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'merged-1', number })]));
    await t.settled();
    const ours = callsWithKey(emulator, 'yunfu:merged-1')[0]!.associations.contacts![0]!;
    // Sales merge the connector's contact into one they keep (the primary survives, with its own id).
    const kept = emulator.seedObject('contacts', { firstname: '李', lastname: '伟' }) as { id: string };
    emulator.mergeContacts(kept.id, ours);

    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'merged-2', number })]));
    await t.settled();
    const second = callsWithKey(emulator, 'yunfu:merged-2')[0]!;
    process.stdout.write(
      `[hubspot-portal] contact ${ours} merged into ${kept.id}: the second call is on contact ${second.associations.contacts![0]}\n`,
    );
    expect(await t.inbox.findByKey('yunfu', 'merged-2')).toMatchObject({
      status: 'synced',
      hubspot_contact_id: kept.id,
    });
    expect(second.associations.contacts).toEqual([kept.id]);
    expect(emulator.listObjects('contacts')).toHaveLength(1);
  });

  it("pauses as misconfigured, naming it, when a property of the admin's mapping is deleted, and dead-letters nothing", async () => {
    const emulator = await emulatorWith();
    const created = await fetch(`${emulator.url}/crm/properties/2026-09/calls`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'sales_script',
        label: 'Script',
        type: 'string',
        fieldType: 'text',
        groupName: 'callinformation',
      }),
    });
    expect(created.status).toBe(201);
    const t = await start({
      emulator,
      mappingYaml: 'call:\n  properties:\n    - { source: campaign.name, property: sales_script, mode: overwrite }\n',
    });
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'mapped-1', number: chinaMobile(820) })]));
    await t.settled();
    const archived = await fetch(`${emulator.url}/crm/properties/2026-09/calls/sales_script`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin' },
    });
    expect(archived.status).toBe(204);
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'mapped-2', number: chinaMobile(821) })]));
    await expect
      .poll(async () => (await health(t.url)).details.hubspot.state, { timeout: 5_000 })
      .toBe('misconfigured');
    expect((await health(t.url)).details.hubspot.reason).toContain('HubSpot has no call property "sales_script"');
    expect(await t.inbox.list({ status: 'dead' })).toEqual([]);
    // The admin puts it back: the call goes through, and health recovers.
    const again = await fetch(`${emulator.url}/crm/properties/2026-09/calls`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'sales_script',
        label: 'Script',
        type: 'string',
        fieldType: 'text',
        groupName: 'callinformation',
      }),
    });
    expect(again.status).toBe(201);
    await t.settled();
    expect(await t.inbox.findByKey('yunfu', 'mapped-2')).toMatchObject({ status: 'synced', attempts: 0 });
    expect((await health(t.url)).details.hubspot.state).toBe('ok');
  });

  it('recreates a property an admin deleted and logs the call with it', async () => {
    const emulator = await emulatorWith();
    const t = await start({ emulator });
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'prop-1', number: chinaMobile(810) })]));
    await t.settled();
    // An admin deletes (archives) one of the connector's call properties.
    const archived = await fetch(`${emulator.url}/crm/properties/2026-09/calls/ai_call_campaign`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer admin' },
    });
    expect(archived.status).toBe(204);
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'prop-2', number: chinaMobile(811) })]));
    await t.settled();
    expect(await t.inbox.findByKey('yunfu', 'prop-2')).toMatchObject({ status: 'synced', attempts: 0 });
    expect(callsWithKey(emulator, 'yunfu:prop-2')[0]!.properties['ai_call_campaign']).toBe('cky呼入任务测试');
  });
});

describe("HubSpot as it really is: auth and the portal's own rules", () => {
  it('names a scope the token lacks (crm.schemas.contacts.write) at start-up and in health, keeps the webhooks, and syncs once it is granted', async () => {
    const emulator = await emulatorWith();
    emulator.setAuth({ missingScopes: ['crm.schemas.contacts.write'] });
    const t = await start({ emulator });
    await expect.poll(async () => (await health(t.url)).details.hubspot.state, { timeout: 5_000 }).toBe('auth-failed');
    const paused = await health(t.url);
    process.stdout.write(
      `[hubspot-auth] start-up with a token lacking a scope: health ${paused.details.hubspot.state}: ${paused.details.hubspot.reason}\n`,
    );
    expect(paused.status).toBe('degraded');
    expect(paused.details.hubspot.reason).toMatch(/^the HubSpot token lacks the scope crm\.schemas\.contacts\.write: /);
    expect(t.logs.find((line) => line['msg'] === 'HubSpot sync paused: the token lacks needed scopes')).toMatchObject({
      level: 'warn',
      missingScopes: ['crm.schemas.contacts.write'],
      portalId: '12345678',
    });

    expect((await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'scoped', number: chinaMobile(900) })]))).status).toBe(
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await t.inbox.countByStatus()).toMatchObject({ pending: 1, dead: 0, synced: 0 });
    // Nothing was written meanwhile: no property created, no contact.
    expect(emulator.listObjects('contacts')).toHaveLength(0);

    emulator.setAuth({ missingScopes: false });
    await t.settled();
    expect(await t.inbox.findByKey('yunfu', 'scoped')).toMatchObject({ status: 'synced', attempts: 0 });
    expect((await health(t.url)).details.hubspot.state).toBe('ok');
  });

  it('names the property a portal validation rule requires, dead-letters only those calls, and syncs them once the mapping gives a value', async () => {
    const emulator = await emulatorWith();
    const admin = { authorization: 'Bearer admin', 'content-type': 'application/json' };
    for (const [objectType, name, group] of [
      ['contacts', 'lead_source', 'contactinformation'],
      ['calls', 'call_reason', 'callinformation'],
    ] as const) {
      const created = await fetch(`${emulator.url}/crm/properties/2026-09/${objectType}`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ name, label: name, type: 'string', fieldType: 'text', groupName: group }),
      });
      expect(created.status).toBe(201);
    }
    // The contact the first call is for exists: the contact rule (on creates) does not concern it.
    emulator.seedObject('contacts', { phone: `+86${chinaMobile(910)}`, lead_source: 'Trade fair' });
    emulator.setValidationRules({ contacts: { required: ['lead_source'] }, calls: { required: [] } });
    const adminToken = 'admin-token-0123456789abcdef';
    const t = await start({ emulator, env: { ADMIN_TOKEN: adminToken } });
    await postYunfu(
      t,
      yunfuBatch([
        yunfuCall({ callid: 'rule-existing', number: chinaMobile(910) }),
        yunfuCall({ callid: 'rule-new', number: chinaMobile(911) }),
      ]),
    );
    await t.settled();
    const dead = await t.inbox.list({ status: 'dead' });
    process.stdout.write(
      `[hubspot-rules] contact validation rule: ${dead.map((row) => `${row.event_key}: ${row.last_error}`).join(' | ')}\n`,
    );
    expect(dead.map((row) => row.event_key)).toEqual(['rule-new']);
    expect(dead[0]!.last_error).toMatch(
      /^HubSpot refused the contact: HubSpot requires lead_source on new contacts \(a validation rule of the portal\): give it a value in config\/mapping\.yaml, e\.g\. contact\.properties: - \{ template: "AI call", property: lead_source, mode: fill-if-empty \}/,
    );
    expect(await t.inbox.findByKey('yunfu', 'rule-existing')).toMatchObject({ status: 'synced', last_error: null });

    // The admin follows the message; the dead call is replayed and lands, with the value on the new contact.
    const mapping = readFileSync(join(t.dir, 'config', 'mapping.yaml'), 'utf8').replace(
      '    - { source: location.province, property: state, mode: fill-if-empty }',
      '    - { source: location.province, property: state, mode: fill-if-empty }\n    - { template: "AI call", property: lead_source, mode: fill-if-empty }',
    );
    writeFileSync(join(t.dir, 'config', 'mapping.yaml'), mapping);
    const reload = await fetch(`${t.url}/admin/mapping/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(((await reload.json()) as { ok: boolean }).ok).toBe(true);
    expect(await t.inbox.replayDead({}, new Date())).toBe(1);
    await t.settled();
    expect(
      await t.inbox.findByKey('yunfu', 'rule-new'),
      (await t.inbox.findByKey('yunfu', 'rule-new'))?.last_error ?? '',
    ).toMatchObject({ status: 'synced' });
    const created = emulator
      .listObjects('contacts')
      .find((contact) => contact.properties['ai_call_phone_e164'] === `+86${chinaMobile(911)}`)!;
    expect(created.properties).toMatchObject({ lead_source: 'AI call', phone: `+86${chinaMobile(911)}` });
    // The existing contact keeps what sales entered.
    expect(
      emulator
        .listObjects('contacts')
        .find((contact) => contact.properties['ai_call_phone_e164'] === `+86${chinaMobile(910)}`)!.properties[
        'lead_source'
      ],
    ).toBe('Trade fair');

    // A rule on calls: named the same way, and only that call is refused.
    emulator.setValidationRules({ contacts: { required: [] }, calls: { required: ['call_reason'] } });
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'rule-call', number: chinaMobile(912) })]));
    await t.settled();
    expect((await t.inbox.findByKey('yunfu', 'rule-call'))!.last_error).toMatch(
      /^HubSpot refused the call: HubSpot requires call_reason on calls \(a validation rule of the portal\): give it a value in config\/mapping\.yaml, e\.g\. call\.properties: /,
    );
  });

  it.each(['refuse', 'ignore'] as const)(
    'writes every other value of a new contact when HubSpot %ss hs_marketable_status, and stops sending what it refuses',
    async (marketableStatusWrites) => {
      const emulator = await emulatorWith({ limits: { marketableStatusWrites } });
      const shipped = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
      const t = await start({
        emulator,
        mappingYaml: shipped.replace('defaultName: null ', 'defaultName: AI call lead '),
      });
      await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'marketing-1', number: chinaMobile(920) })]));
      await t.settled();
      await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'marketing-2', number: chinaMobile(921) })]));
      await t.settled();
      for (const [index, callid] of [
        [920, 'marketing-1'],
        [921, 'marketing-2'],
      ] as const) {
        const contact = emulator
          .listObjects('contacts')
          .find((candidate) => candidate.properties['ai_call_phone_e164'] === `+86${chinaMobile(index)}`)!;
        expect(contact.properties).toMatchObject({
          phone: `+86${chinaMobile(index)}`,
          firstname: 'AI call lead',
          city: '晋中',
          state: '山西',
        });
        expect(contact.properties['hs_marketable_status'] ?? '').toBe('');
        expect(await t.inbox.findByKey('yunfu', callid)).toMatchObject({ status: 'synced' });
      }
      const first = await t.inbox.findByKey('yunfu', 'marketing-1');
      const second = await t.inbox.findByKey('yunfu', 'marketing-2');
      if (marketableStatusWrites === 'refuse') {
        expect(first!.last_error).toMatch(/^HubSpot refused some of the contact's values: .*hs_marketable_status/);
        // Learned: the second contact was written without it, and nothing was refused.
        expect(second!.last_error).toBeNull();
      } else {
        expect(first!.last_error).toBeNull();
        expect(second!.last_error).toBeNull();
      }
    },
  );

  it('reports a portal at its 10 unique-value contact properties as misconfigured, naming the limit, and dead-letters nothing', async () => {
    const emulator = await emulatorWith();
    for (let index = 0; index < 10; index++) {
      const created = await fetch(`${emulator.url}/crm/properties/2026-09/contacts`, {
        method: 'POST',
        headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `unique_${index}`,
          label: `Unique ${index}`,
          type: 'string',
          fieldType: 'text',
          groupName: 'contactinformation',
          hasUniqueValue: true,
        }),
      });
      expect(created.status).toBe(201);
    }
    const t = await start({ emulator });
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'unique-cap', number: chinaMobile(930) })]));
    await expect
      .poll(async () => (await health(t.url)).details.hubspot.state, { timeout: 5_000 })
      .toBe('misconfigured');
    const reason = (await health(t.url)).details.hubspot.reason!;
    process.stdout.write(`[hubspot-limits] portal at its unique-value cap: ${reason}\n`);
    expect(reason).toContain('HubSpot refused to create contacts.ai_call_phone_e164');
    expect(reason).toContain('at most 10 unique-value properties');
    expect(await t.inbox.countByStatus()).toMatchObject({ dead: 0, synced: 0 });
  });

  it('logs calls without the optional properties a portal at its custom-property cap refuses, and warns in health', async () => {
    const emulator = await emulatorWith({ limits: { customPropertiesPerObject: 3 } });
    const t = await start({ emulator });
    await postYunfu(t, yunfuBatch([yunfuCall({ callid: 'prop-cap', number: chinaMobile(940) })]));
    await t.settled();
    const ready = await health(t.url);
    process.stdout.write(
      `[hubspot-limits] calls at a custom-property cap of 3: ${ready.details.hubspot.warnings?.length} warnings, e.g. ${ready.details.hubspot.warnings?.[0]}\n`,
    );
    expect(await t.inbox.findByKey('yunfu', 'prop-cap')).toMatchObject({ status: 'synced' });
    const call = callsWithKey(emulator, 'yunfu:prop-cap')[0]!;
    // The key (exactly-once rests on it) and two optional properties fit; the standard call properties are all there.
    expect(call.properties).toMatchObject({ hs_call_duration: '43000', hs_call_direction: 'INBOUND' });
    const custom = Object.keys(call.properties).filter((name) => name.startsWith('ai_call_'));
    expect(custom).toContain('ai_call_key');
    expect(custom).toHaveLength(3);
    expect(ready.details.hubspot.state).toBe('ok');
    expect(ready.details.hubspot.warnings!.length).toBe(7);
    expect(
      ready.details.hubspot.warnings!.every((warning) =>
        /^HubSpot refused to create calls\.ai_call_\w+: .*limit of 3 custom properties.*; calls are written without it$/.test(
          warning,
        ),
      ),
    ).toBe(true);
  });
});
