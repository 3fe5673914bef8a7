import { HubSpotEmulator } from '@ai-call-hubspot-connector/hubspot-emulator';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.js';
import { connectorDir, MAIN, startConnectorProcess, type ConnectorProcess } from '../support/connector-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { postJson, waitFor } from '../support/test-app.js';

const running: ChildProcess[] = [];
const dirs: string[] = [];
const emulators: HubSpotEmulator[] = [];
const databases: TestDatabase[] = [];

/** Runs the connector in a fresh folder holding only a copy of `config/`, with exactly the given environment. */
function startConnector(
  env: Record<string, string>,
  mappingYaml?: string,
  store: 'as-run' | 'embedded' = 'as-run',
): ConnectorProcess {
  const dir = connectorDir(mappingYaml, store);
  dirs.push(dir);
  const started = startConnectorProcess(dir, env);
  running.push(started.child);
  return started;
}

beforeAll(() => {
  expect(existsSync(MAIN), 'dist/main.js exists (npm test runs the build first)').toBe(true);
});

afterEach(async () => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const emulator of emulators.splice(0)) await emulator.close();
  for (const database of databases.splice(0)) await database.drop();
});

/**
 * A `NODE_OPTIONS` that makes Node write, into `logFile`, each module it resolves inside the emulator package (a
 * module resolution hook: Node offers no list of the modules a process loaded).
 */
function emulatorLoadTracing(dir: string, logFile: string): string {
  const hooks = join(dir, 'trace-hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (resolved.url.includes('/packages/hubspot-emulator/')) appendFileSync(${JSON.stringify(logFile)}, resolved.url + '\\n');
  return resolved;
}
`,
  );
  const register = join(dir, 'trace-register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  writeFileSync(logFile, '');
  return `--import=${pathToFileURL(register).href}`;
}

describe('npm start', () => {
  it('starts with no settings on the embedded defaults, makes up the sandbox secrets, prints a one-time console link, and stops on SIGTERM', async () => {
    // PORT=0 only so that the test never collides with a port in use; everything else is default.
    // The embedded defaults are what this test is about: the SQLite file, whatever store the run uses.
    const started = startConnector({ PORT: '0', HUBSPOT_EMULATOR_PORT: '0' }, undefined, 'embedded');
    await waitFor(() => started.output().includes('connector listening'), 20_000);
    const listening = started
      .output()
      .split('\n')
      .find((line) => line.includes('connector listening'))!;
    const url = (JSON.parse(listening) as { url: string }).url;

    // Sandbox mode's first five minutes: the secrets not set are made up for this run (named, never shown).
    const madeUp = started
      .output()
      .split('\n')
      .find((line) => line.includes('SANDBOX MODE: made up for this run'));
    expect(madeUp).toBeDefined();
    expect((JSON.parse(madeUp!) as { settings: string[] }).settings).toEqual(
      expect.arrayContaining(['VOICEFOX_WEBHOOK_SECRET', 'YUNFU_WEBHOOK_SECRET', 'ADMIN_TOKEN']),
    );
    expect(started.output()).toContain('SANDBOX MODE');
    expect(existsSync(join(started.dir, 'data', 'connector.sqlite'))).toBe(true);

    // The one-time console link, a plain line: good once.
    await waitFor(() => started.output().includes('Console: '), 5_000);
    const link = /^Console: (http:\/\/\S+)\/console\/#\/sign-in\?code=([\w-]+)$/m.exec(started.output());
    expect(link?.[1]).toBe(url);
    const signedIn = await postJson(`${url}/console/api/session/link`, { code: link![2] });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ kind: 'admin', sandbox: true });
    expect((await postJson(`${url}/console/api/session/link`, { code: link![2] })).status).toBe(401);

    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    const refused = await postJson(`${url}/webhooks/voicefox`, fixture('voicefox', 'callin-collect'), {
      authorization: 'Bearer anything-at-all-here',
    });
    expect(refused.status).toBe(401);

    started.child.kill('SIGTERM');
    const exit = await Promise.race([
      started.exit,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000)),
    ]);
    expect(exit, 'exited within 10 s of SIGTERM').not.toBeNull();
    expect(exit!.code === 0 || exit!.signal === 'SIGTERM').toBe(true);
  });

  it('in sandbox mode (no token) logs posted calls in the built-in emulator, which keeps them across restarts', async () => {
    const env = { PORT: '0', HUBSPOT_EMULATOR_PORT: '0', YUNFU_WEBHOOK_SECRET: 'sandbox-secret-0123456789' };
    const started = startConnector(env, undefined, 'embedded');
    await waitFor(() => started.output().includes('connector listening'), 20_000);
    const lines = started
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, string>);
    const url = lines.find((line) => line['msg'] === 'connector listening')!['url']!;
    const emulator = lines.find((line) => line['emulator'])!['emulator']!;
    expect(lines.find((line) => line['emulator'])!['msg']).toContain('SANDBOX MODE');

    const posted = await postJson(
      `${url}/webhooks/yunfu/sandbox-secret-0123456789`,
      fixture('yunfu', 'seed-inbound-success'),
    );
    expect(posted.status).toBe(200);
    const listCalls = async () =>
      (await (
        await fetch(
          `${emulator}/crm/v3/objects/calls?properties=hs_call_duration,ai_call_intention&associations=contacts`,
          {
            headers: { authorization: 'Bearer look' },
          },
        )
      ).json()) as { results: Array<{ properties: Record<string, string> }> };
    await waitFor(async () => (await listCalls()).results.length === 1, 10_000);
    expect((await listCalls()).results[0]!.properties).toMatchObject({
      hs_call_duration: '43000',
      ai_call_intention: 'A',
    });

    started.child.kill('SIGTERM');
    await started.exit;
    expect(existsSync(join(started.dir, 'data', 'hubspot-sandbox.json'))).toBe(true);
  });

  it('with a HubSpot token, starts without loading the emulator package, which sandbox mode loads', async () => {
    const hubspot = await HubSpotEmulator.start({ host: '127.0.0.1', port: 0 });
    emulators.push(hubspot);
    const withToken = connectorDir();
    dirs.push(withToken);
    const tokenLoads = join(withToken, 'emulator-loads.txt');
    const production = startConnectorProcess(withToken, {
      PORT: '0',
      HUBSPOT_ACCESS_TOKEN: 'pat-test-0000-startup',
      HUBSPOT_BASE_URL: hubspot.url,
      NODE_OPTIONS: emulatorLoadTracing(withToken, tokenLoads),
    });
    running.push(production.child);
    await production.listening();
    await waitFor(() => hubspot.requestLog.length > 0, 10_000);
    expect(readFileSync(tokenLoads, 'utf8'), 'modules of the emulator package resolved with a token').toBe('');

    // The same tracing in sandbox mode sees the package load: the empty list above is not the tracing failing.
    const sandboxDir = connectorDir();
    dirs.push(sandboxDir);
    const sandboxLoads = join(sandboxDir, 'emulator-loads.txt');
    const sandbox = startConnectorProcess(sandboxDir, {
      PORT: '0',
      HUBSPOT_EMULATOR_PORT: '0',
      NODE_OPTIONS: emulatorLoadTracing(sandboxDir, sandboxLoads),
    });
    running.push(sandbox.child);
    await sandbox.listening();
    expect(readFileSync(sandboxLoads, 'utf8')).toContain('/packages/hubspot-emulator/dist/hubspot-emulator.js');
  });

  it('refuses to start on a malformed setting, naming the key and not the value', async () => {
    const started = startConnector({ PORT: 'eighty', YUNFU_WEBHOOK_SECRET: 'tiny-secret' });
    expect((await started.exit).code).toBe(1);
    expect(started.output()).toContain('Cannot start: Invalid environment');
    expect(started.output()).toContain('PORT must be a whole number from 0 to 65535');
    expect(started.output()).toContain('YUNFU_WEBHOOK_SECRET must be at least 16 characters long');
    expect(started.output()).not.toContain('tiny-secret');
  });

  it('runs on PostgreSQL: stores a webhook there and syncs it, as on SQLite', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const hubspot = await HubSpotEmulator.start({ host: '127.0.0.1', port: 0 });
    emulators.push(hubspot);
    const started = startConnector({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      HUBSPOT_ACCESS_TOKEN: 'pat-test-0000-postgres',
      HUBSPOT_BASE_URL: hubspot.url,
      YUNFU_WEBHOOK_SECRET: 'yf-startup-secret-0123456789',
    });
    const url = await started.listening();
    expect(started.output()).toContain(`postgres 127.0.0.1:5432/${new URL(database.url).pathname.slice(1)}`);
    const answer = await postJson(
      `${url}/webhooks/yunfu/yf-startup-secret-0123456789`,
      fixture('yunfu', 'seed-inbound-success'),
    );
    expect(answer.status).toBe(200);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const events = async () =>
      (
        await client.query<{ status: string; hubspot_call_id: string | null }>(
          'select status, hubspot_call_id from inbox_events',
        )
      ).rows;
    try {
      await waitFor(async () => (await events())[0]?.status === 'synced', 15_000);
      expect(hubspot.listObjects('calls')).toHaveLength(1);
      expect(await events()).toEqual([{ status: 'synced', hubspot_call_id: hubspot.listObjects('calls')[0]!.id }]);
    } finally {
      await client.end();
    }
  });

  it('refuses to start on a PostgreSQL server it cannot reach, naming the server and not the password', async () => {
    const started = startConnector({ PORT: '0', DATABASE_URL: 'postgres://connector:s3cret-pw@127.0.0.1:9/connector' });
    expect((await started.exit).code).toBe(1);
    expect(started.output()).toContain(
      'Cannot start: cannot use the store at postgres 127.0.0.1:9/connector: the connection was refused (is PostgreSQL running there?)',
    );
    expect(started.output()).not.toContain('s3cret-pw');
  });

  it('refuses to start in production without a HubSpot token', async () => {
    const started = startConnector({ NODE_ENV: 'production', PORT: '0', HUBSPOT_EMULATOR_PORT: '0' });
    expect((await started.exit).code).toBe(1);
    expect(started.output()).toContain('HUBSPOT_ACCESS_TOKEN is required when NODE_ENV=production');
  });

  it('refuses to start on an invalid config file, naming file, line and setting', async () => {
    const started = startConnector(
      { PORT: '0', HUBSPOT_EMULATOR_PORT: '0' },
      'vendors:\n  yunfu:\n    timeZone: Nowhere/Land\n',
    );
    expect((await started.exit).code).toBe(1);
    expect(started.output()).toContain('config/mapping.yaml:3 vendors.yunfu.timeZone: must be an IANA time zone');
  });
});
