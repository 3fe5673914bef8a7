import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, POSTGRES_RUN, type TestDatabase } from '../support/postgres.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { REPO_DIR, startTestApp, type ConfigHealth, type TestApp } from '../support/test-app.js';

/**
 * Several instances on one store share one mapping: which one is in force when an instance starts (its file, or the
 * newer stored version), and what an instance does with a stored version it cannot take. In-process applications on
 * one store (an SQLite file they share, or one PostgreSQL database under TEST_STORE=postgres).
 */
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const SHIPPED = readFileSync(join(REPO_DIR, 'config', 'mapping.yaml'), 'utf8');
const withTitle = (title: string) => SHIPPED.replace(/^ {2}title: .*$/m, `  title: ${JSON.stringify(title)}`);

let emulator: HubSpotEmulator;
let database: TestDatabase | null;
let sqliteDir: string | null;
let databaseUrl: string;
const apps: TestApp[] = [];

beforeEach(async () => {
  emulator = await HubSpotEmulator.start();
  database = POSTGRES_RUN ? await createTestDatabase() : null;
  sqliteDir = database ? null : mkdtempSync(join(tmpdir(), 'mapping-versions-'));
  databaseUrl = database?.url ?? `sqlite:${join(sqliteDir!, 'shared.sqlite')}`;
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  await emulator.close();
  await database?.drop();
  if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
});

const start = async (id: string, mappingYaml: string): Promise<TestApp> => {
  const app = await startTestApp({
    emulator,
    mappingYaml,
    env: { DATABASE_URL: databaseUrl, INSTANCE_ID: id, ADMIN_TOKEN, MAPPING_POLL_MS: '100' },
  });
  apps.push(app);
  return app;
};
const configOf = async (app: TestApp): Promise<ConfigHealth> =>
  ((await (await fetch(`${app.url}/health/ready`)).json()) as { details: { config: ConfigHealth } }).details.config;
const versionOf = async (app: TestApp) => (await configOf(app)).version;
const metric = async (app: TestApp, name: string) =>
  sampleValue(parsePrometheusText(await (await fetch(`${app.url}/metrics`)).text()), name, name);
const reload = async (app: TestApp) =>
  (await (
    await fetch(`${app.url}/admin/mapping/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
  ).json()) as { ok: boolean; version?: number; digest?: string; problems: string[] };

describe('one mapping for several instances on one store', () => {
  it('an instance started with an older file takes the newer stored version; a file never stored becomes the next version for all', async () => {
    const a = await start('a', SHIPPED);
    expect(await configOf(a)).toMatchObject({ status: 'up', version: 1, stored: { by: 'a', trigger: 'start' } });
    const b = await start('b', SHIPPED);
    // The same file: no new version.
    expect(await configOf(b)).toMatchObject({ status: 'up', version: 1, stored: { by: 'a', trigger: 'start' } });

    writeFileSync(join(b.dir, 'config', 'mapping.yaml'), withTitle('{{vendorName}} call'));
    expect(await reload(b)).toMatchObject({ ok: true, version: 2 });
    await expect.poll(() => versionOf(a), { timeout: 5_000 }).toBe(2);

    // Started with version 1's text (a node that kept an older file): version 2 stays in force, nothing is stored.
    const c = await start('c', SHIPPED);
    expect(await configOf(c)).toMatchObject({ status: 'up', version: 2, stored: { by: 'b' } });
    expect(c.logs.some((line) => String(line['msg']).includes('is an earlier version'))).toBe(true);
    expect(await metric(c, 'connector_mapping_version')).toBe(2);

    // Started with a file never stored (a deploy with a new mapping): it is the next version, on every instance.
    const d = await start('d', withTitle('{{vendorName}} call, deployed'));
    expect(await configOf(d)).toMatchObject({ status: 'up', version: 3, stored: { by: 'd', trigger: 'start' } });
    for (const app of [a, b, c]) await expect.poll(() => versionOf(app), { timeout: 5_000 }).toBe(3);
    const digests = await Promise.all([a, b, c, d].map(async (app) => (await configOf(app)).digest));
    expect(new Set(digests).size).toBe(1);

    // A reload of a file unchanged since its instance read it (a late file-change event, a SIGHUP with nothing
    // edited) stores nothing: b's file (version 2's text) does not come back over version 3.
    expect(await reload(b)).toMatchObject({ ok: true, version: 3 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const app of [a, b, c, d]) expect(await versionOf(app)).toBe(3);
  });

  it('a stored version an instance cannot take is refused there: health says which and why, the previous one stays, a restart takes it', async () => {
    const a = await start('a', SHIPPED);
    // Another instance starts with a new property group (a change that needs a restart): stored at its start.
    const regrouped = SHIPPED.replace(/^ {2}propertyGroup: .*$/m, '  propertyGroup: ai_call_connector_v2');
    expect(regrouped).not.toBe(SHIPPED);
    const b = await start('b', regrouped);
    expect(await versionOf(b)).toBe(2);

    await expect.poll(async () => (await configOf(a)).status, { timeout: 5_000 }).toBe('degraded');
    const refused = await configOf(a);
    expect(refused).toMatchObject({
      version: 1,
      problems: ['hubspot.propertyGroup: changes only take effect with a restart'],
    });
    expect(refused.message).toMatch(
      /^version 2 \(stored by b, start\) was refused here at .*; version 1 stays in force$/,
    );
    expect(await metric(a, 'connector_mapping_version')).toBe(1);
    expect(await metric(a, 'connector_mapping_reload_failed')).toBe(1);
    // Not checked again at every poll: one refusal in the log.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      a.logs.filter((line) => String(line['msg']).startsWith('mapping version from the store refused')),
    ).toHaveLength(1);

    // Restarted (with its file, version 1's text), the instance takes version 2.
    await a.close();
    apps.splice(apps.indexOf(a), 1);
    const restarted = await start('a', SHIPPED);
    expect(await configOf(restarted)).toMatchObject({ status: 'up', version: 2 });
  });
});
