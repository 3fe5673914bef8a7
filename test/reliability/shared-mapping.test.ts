import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorDir, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { chinaMobile, yunfuBatch, yunfuCall } from '../support/payload-factory.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { postJson, REPO_DIR, waitFor, YUNFU_SECRET, type ConfigHealth } from '../support/test-app.js';

/**
 * One mapping for all instances: two real connector processes on one PostgreSQL. A reload posted to the standby
 * (after its own file changed) is stored as a new version, reaches the leader through the store, and the leader's
 * next synced call is written with it; a refused reload changes no version. Loopback only; every wait bounded.
 */
const processes: ConnectorProcess[] = [];
const dirs: string[] = [];
const emulators: HubSpotEmulator[] = [];
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const started of processes.splice(0)) if (started.child.exitCode === null) started.child.kill('SIGKILL');
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const database of databases.splice(0)) await database.drop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const SHIPPED = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
const withTitle = (title: string) => SHIPPED.replace(/^ {2}title: .*$/m, `  title: ${JSON.stringify(title)}`);

interface Instance {
  id: string;
  process: ConnectorProcess;
  url: string;
}

async function readiness(instance: Instance): Promise<{ sync?: { role: string }; config?: ConfigHealth } | null> {
  try {
    const response = await fetch(`${instance.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    return (
      ((await response.json()) as { details?: { sync?: { role: string }; config?: ConfigHealth } }).details ?? null
    );
  } catch {
    return null;
  }
}

const configOf = async (instance: Instance) => (await readiness(instance))?.config ?? null;

async function mappingVersionMetric(instance: Instance): Promise<number | undefined> {
  const families = parsePrometheusText(await (await fetch(`${instance.url}/metrics`)).text());
  return sampleValue(families, 'connector_mapping_version', 'connector_mapping_version');
}

async function reload(instance: Instance): Promise<Record<string, unknown>> {
  const response = await fetch(`${instance.url}/admin/mapping/reload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function storedVersions(database: TestDatabase): Promise<Array<{ version: number; trigger: string }>> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number; trigger: string }>(
      `select version, trigger from mapping_versions where portal_id = 'default' order by version`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('one mapping for all instances on one PostgreSQL', () => {
  it(
    "a reload posted to the standby is in force on the leader within seconds and writes the leader's next call; a refused one changes no version",
    { timeout: 120_000 },
    async () => {
      const database = await createTestDatabase();
      databases.push(database);
      const emulator = await HubSpotEmulator.start();
      emulators.push(emulator);
      const start = async (id: string): Promise<Instance> => {
        const dir = connectorDir(undefined, 'embedded');
        dirs.push(dir);
        const started = startConnectorProcess(dir, {
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: database.url,
          INSTANCE_ID: id,
          ADMIN_TOKEN,
          SYNC_LEASE_TTL_MS: '2000',
          SYNC_LEASE_RENEW_MS: '500',
          HUBSPOT_ACCESS_TOKEN: 'pat-shared-mapping',
          HUBSPOT_BASE_URL: emulator.url,
          YUNFU_WEBHOOK_SECRET: YUNFU_SECRET,
          SYNC_LINGER_MS: '20',
          HUBSPOT_RETRY_BASE_MS: '50',
          HUBSPOT_PROBE_INTERVAL_MS: '200',
          LOG_LEVEL: 'info',
          // MAPPING_POLL_MS as shipped (1 s).
        });
        processes.push(started);
        return { id, process: started, url: await started.listening() };
      };
      // One starts first and leads; the other then stands by.
      const a = await start('a');
      await waitFor(async () => (await readiness(a))?.sync?.role === 'leader', 10_000);
      const b = await start('b');
      await waitFor(async () => (await readiness(b))?.sync?.role === 'standby', 10_000);
      const [leader, standby] = [a, b];

      // Both started with the same file: one version, stored by the first at its start.
      const first = await configOf(leader);
      expect(first).toMatchObject({ status: 'up', version: 1, stored: { by: 'a', trigger: 'start' } });
      expect(first!.digest).toMatch(/^[0-9a-f]{12}$/);
      expect(await configOf(standby)).toMatchObject({ status: 'up', version: 1, digest: first!.digest });
      expect(await mappingVersionMetric(leader)).toBe(1);

      const postCall = async (target: Instance, callid: string, index: number) => {
        const answer = await postJson(
          `${target.url}/webhooks/yunfu/${YUNFU_SECRET}`,
          yunfuBatch([yunfuCall({ callid, number: chinaMobile(index) })]),
        );
        expect(answer.status).toBe(200);
      };
      const titleOf = (callid: string) =>
        emulator.listObjects('calls').find((call) => call.properties['ai_call_key'] === `yunfu:${callid}`)?.properties[
          'hs_call_title'
        ];
      await postCall(standby, 'before', 1);
      await waitFor(() => titleOf('before') !== undefined, 20_000);
      expect(titleOf('before')).toBe('AI call (Yunfu, inbound) · intention A');

      // The standby's file changes; the admin reload is posted to the standby.
      writeFileSync(
        join(standby.process.dir, 'config', 'mapping.yaml'),
        withTitle('{{vendorName}} call, level {{intention.label}}'),
      );
      const posted = Date.now();
      const answer = await reload(standby);
      expect(answer).toMatchObject({ ok: true, problems: [], version: 2 });
      await waitFor(async () => (await configOf(leader))?.version === 2, 10_000);
      const reachedMs = Date.now() - posted;
      const onLeader = await configOf(leader);
      expect(onLeader).toMatchObject({ status: 'up', version: 2, digest: answer['digest'], stored: { by: 'b' } });
      expect(await mappingVersionMetric(leader)).toBe(2);
      expect((await readiness(leader))?.sync?.role).toBe('leader');

      // The leader's next synced call is written with the new mapping (posted to the standby: any instance takes it).
      await postCall(standby, 'after', 2);
      await waitFor(() => titleOf('after') !== undefined, 20_000);
      expect(titleOf('after')).toBe('Yunfu call, level A');
      process.stdout.write(
        `[shared-mapping] reload posted to standby b: version 2 in force on leader a after ${reachedMs} ms (MAPPING_POLL_MS 1000)\n`,
      );

      // A broken edit on the standby: the reload is refused, no version is stored, and the leader keeps version 2.
      writeFileSync(join(standby.process.dir, 'config', 'mapping.yaml'), withTitle('Call from {{custmer.name}}'));
      const refused = await reload(standby);
      expect(refused).toMatchObject({ ok: false, version: 2 });
      expect((refused['problems'] as string[])[0]).toMatch(/call\.title: unknown field "custmer\.name"$/);
      expect(await configOf(standby)).toMatchObject({ status: 'degraded', version: 2 });
      // Two poll periods and more: nothing new reaches the leader, and the store holds versions 1 and 2 only.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await configOf(leader)).toMatchObject({ status: 'up', version: 2 });
      expect((await storedVersions(database)).map((row) => row.version)).toEqual([1, 2]);
      await postCall(standby, 'after-refused', 3);
      await waitFor(() => titleOf('after-refused') !== undefined, 20_000);
      expect(titleOf('after-refused')).toBe('Yunfu call, level A');

      // A restart of the leader with its older file (version 1's text) does not take version 2 back.
      leader.process.child.kill('SIGTERM');
      await leader.process.exit;
      const again = await start('a');
      expect(await configOf(again)).toMatchObject({ status: 'up', version: 2 });
      expect((await storedVersions(database)).map((row) => row.version)).toEqual([1, 2]);
    },
  );
});
