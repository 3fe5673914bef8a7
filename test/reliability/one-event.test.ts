import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HubSpotSyncService } from '../../src/sync/hubspot-sync.service.js';
import { connectorDir, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { chinaMobile, voicefoxEvent, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { postJson, startTestApp, VOICEFOX_SECRET, waitFor, YUNFU_SECRET, type TestApp } from '../support/test-app.js';

/** No single event can stop sync: whatever goes wrong with one event, the others go on. Each test prints its figures. */
const apps: TestApp[] = [];
const processes: ConnectorProcess[] = [];
const emulators: HubSpotEmulator[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const started of processes.splice(0)) if (started.child.exitCode === null) started.child.kill('SIGKILL');
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `constructor`, `toString`, `__proto__`, `valueOf`, `hasOwnProperty`, …: every member of `Object.prototype`. */
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);

describe('one event cannot stop the others', () => {
  it(
    'an exception while syncing one chosen event of a batch of 100: that event ends dead, the other 99 sync',
    { timeout: 60_000 },
    async () => {
      const t = await startTestApp({ env: { SYNC_MAX_ATTEMPTS: '1', SYNC_LINGER_MS: '300' } });
      apps.push(t);
      // An exception injected at the sync's own seam (not at HubSpot's): whenever the chosen call is among those synced.
      const sync = t.app.get(HubSpotSyncService);
      const original = sync.sync.bind(sync);
      sync.sync = async (items, settings, options) => {
        if (items.some((item) => item.record.vendorCallId === 'chosen-42'))
          throw new TypeError('injected failure for one event');
        return original(items, settings, options);
      };
      const calls = Array.from({ length: 100 }, (_, index) =>
        yunfuCall({ callid: index === 42 ? 'chosen-42' : `other-${index}`, number: chinaMobile(1_000 + index) }),
      );
      expect((await postJson(`${t.url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch(calls))).status).toBe(200);
      await t.settled(50_000);
      const counts = await t.inbox.countByStatus();
      const dead = await t.inbox.list({ status: 'dead' });
      const health = (await (await fetch(`${t.url}/health/ready`)).json()) as {
        details: { hubspot: { failingEvents?: Array<{ eventId: number; error: string }> } };
      };
      process.stdout.write(
        `[one-event] exception on 1 event of 100: ${counts.synced} synced, ${counts.dead} dead (${dead[0]?.last_error}); health names event ${JSON.stringify(health.details.hubspot.failingEvents)}\n`,
      );
      expect(counts).toMatchObject({ synced: 99, dead: 1, retrying: 0, pending: 0 });
      expect(dead.map((row) => row.event_key)).toEqual(['chosen-42']);
      expect(dead[0]!.last_error).toBe(
        'gave up after 1 attempts: sync failed for this event: injected failure for one event',
      );
      expect(t.emulator.listObjects('calls')).toHaveLength(99);
      // Health names the event by id and the error by its class, never its content.
      expect(health.details.hubspot.failingEvents).toEqual([
        { eventId: dead[0]!.id, error: 'TypeError', since: expect.any(String) },
      ]);
    },
  );

  it(
    'an intention, a tag, an event name and a template field named after each Object.prototype member: each ends synced or skipped, and 100 ordinary events after them sync, before and after a restart',
    { timeout: 120_000 },
    async () => {
      const emulator = await HubSpotEmulator.start();
      emulators.push(emulator);
      const title = `"{{#each tags}}{{.}} {{/each}}{{extras.constructor}}{{extras.toString}}{{extras.__proto__}}{{intention.label | \\"none\\"}}"`;
      const dir = connectorDir(`call:\n  title: ${title}\n`);
      dirs.push(dir);
      const env = {
        PORT: '0',
        HOST: '127.0.0.1',
        HUBSPOT_ACCESS_TOKEN: 'pat-prototype',
        HUBSPOT_BASE_URL: emulator.url,
        YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
        VOICEFOX_WEBHOOK_SECRET: VOICEFOX_SECRET,
        SYNC_LINGER_MS: '200',
        HUBSPOT_RETRY_BASE_MS: '50',
        HUBSPOT_PROBE_INTERVAL_MS: '200',
        LOG_LEVEL: 'info',
      };
      const run = async (): Promise<string> => {
        const started = startConnectorProcess(dir, env);
        processes.push(started);
        return started.listening();
      };
      const counts = async (url: string): Promise<Record<string, number>> => {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        return Object.fromEntries(
          [...metrics.matchAll(/connector_inbox_events\{status="(\w+)"\} (\d+)/g)].map((match) => [
            match[1]!,
            Number(match[2]),
          ]),
        );
      };
      const settled = (url: string, total: number) =>
        waitFor(async () => {
          const now = await counts(url);
          return (
            (now['synced'] ?? 0) + (now['skipped'] ?? 0) + (now['dead'] ?? 0) === total &&
            (now['pending'] ?? 0) + (now['processing'] ?? 0) + (now['retrying'] ?? 0) === 0
          );
        }, 60_000);

      let url = await run();
      // In one batch: a call per name (as intention and tag), a VoiceFox event per name, then 100 ordinary calls.
      const odd = PROTOTYPE_NAMES.map((name, index) =>
        yunfuCall({
          callid: `proto-${index}`,
          number: chinaMobile(2_000 + index),
          intention: name,
          tags: [name, 'ordinary'],
        }),
      );
      const ordinary = Array.from({ length: 100 }, (_, index) =>
        yunfuCall({ callid: `ordinary-${index}`, number: chinaMobile(2_100 + index) }),
      );
      expect((await postJson(`${url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch([...odd, ...ordinary]))).status).toBe(
        200,
      );
      for (const name of PROTOTYPE_NAMES) {
        const event = { ...voicefoxEvent('callin-collect', `vf-proto-${name}`), event_name: name };
        expect(
          (await postJson(`${url}/webhooks/voicefox`, event, { authorization: `Bearer ${VOICEFOX_SECRET}` })).status,
        ).toBe(200);
      }
      const total = odd.length + ordinary.length + PROTOTYPE_NAMES.length;
      await settled(url, total);
      const first = await counts(url);

      processes.at(-1)!.child.kill('SIGTERM');
      await processes.at(-1)!.exit;
      url = await run();
      const after = Array.from({ length: 100 }, (_, index) =>
        yunfuCall({ callid: `after-${index}`, number: chinaMobile(2_200 + index) }),
      );
      expect((await postJson(`${url}/webhooks/yunfu/${YUNFU_SECRET}`, yunfuBatch(after))).status).toBe(200);
      await settled(url, total + 100);
      const second = await counts(url);
      process.stdout.write(
        `[one-event] ${PROTOTYPE_NAMES.length} Object.prototype names as intention, tag, event name and template field: ${JSON.stringify(first)}; after a restart and 100 more: ${JSON.stringify(second)}\n`,
      );

      expect(first).toMatchObject({ synced: odd.length + ordinary.length, skipped: PROTOTYPE_NAMES.length, dead: 0 });
      expect(second).toMatchObject({
        synced: odd.length + ordinary.length + 100,
        skipped: PROTOTYPE_NAMES.length,
        dead: 0,
      });
      const calls = emulator.listObjects('calls');
      expect(calls).toHaveLength(odd.length + 200);
      for (const [index, name] of PROTOTYPE_NAMES.entries()) {
        const call = calls.find((candidate) => candidate.properties['ai_call_key'] === `yunfu:proto-${index}`)!;
        expect(call.properties['ai_call_intention']).toBe(name);
        expect(call.properties['ai_call_tags']!.split(';').sort()).toEqual([name, 'ordinary'].sort());
        expect(call.properties['hs_call_title']).toBe(`${name} ordinary ${name}`);
      }
    },
  );

  it('three calls of one batch refused by HubSpot each keep their own reason', async () => {
    const emulator = await HubSpotEmulator.start();
    emulators.push(emulator);
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
    const t = await startTestApp({
      emulator,
      mappingYaml: 'call:\n  properties:\n    - { source: intention.label, property: sales_grade, mode: overwrite }\n',
    });
    apps.push(t);
    const grades = ['A', 'X', 'A', 'Y', 'Z'];
    await postJson(
      `${t.url}/webhooks/yunfu/${YUNFU_SECRET}`,
      yunfuBatch(
        grades.map((grade, index) =>
          yunfuCall({ callid: `graded-${index}`, number: chinaMobile(3_000 + index), intention: grade }),
        ),
      ),
    );
    await t.settled();
    const dead = await t.inbox.list({ status: 'dead' });
    expect(dead.map((row) => row.event_key)).toEqual(['graded-1', 'graded-3', 'graded-4']);
    for (const [row, grade] of [
      [dead[0]!, 'X'],
      [dead[1]!, 'Y'],
      [dead[2]!, 'Z'],
    ] as const) {
      expect(row.last_error).toMatch(
        new RegExp(`^HubSpot refused the call: .*${grade} was not one of the allowed options`),
      );
      for (const other of ['X', 'Y', 'Z'].filter((candidate) => candidate !== grade))
        expect(row.last_error).not.toContain(`${other} was not one of`);
    }
    expect(emulator.listObjects('calls')).toHaveLength(2);
  });
});
